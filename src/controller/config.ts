/**
 * The failover controller's configuration: one JSON file, read once at start-up and validated.
 * `parseConfig` is pure (no I/O); `loadConfig` reads the file and resolves relative paths against the
 * folder that holds it.
 *
 * Self-contained on purpose, like every file under src/controller/: only `node:` built-ins, because
 * the compiled folder is mounted alone into a container that has nothing but node.
 *
 * Required keys: adminUrl, listen, clusters, lds. Optional, with defaults: quorum (a majority of the
 * smaller cluster), failback ('auto'), failbackHoldMs (10000), pollMs (200), eventsFile (none: events
 * are then kept in memory only). Unknown keys are refused (a misspelt key would otherwise be silently
 * ignored); keys starting with '$' ($schema, $comment) are allowed anywhere.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { ReplicationHook } from './replication.js';

export type ClusterName = 'primary' | 'secondary';
export const CLUSTER_NAMES: readonly ClusterName[] = ['primary', 'secondary'];

export type FailbackMode = 'auto' | 'manual';

export interface BrokerSpec {
  /** The broker's name: the `hostname` of its host in Envoy's /clusters document (or its DNS address). */
  broker: string;
  /** Every Envoy cluster the broker must be a healthy host of. */
  envoyClusters: string[];
}

export interface ControllerConfig {
  /** Envoy's admin endpoint, without a trailing slash. */
  adminUrl: string;
  listen: { address: string; port: number };
  /** Healthy brokers a Redpanda cluster needs to be (or become) the active one. */
  quorum: number;
  failback: FailbackMode;
  failbackHoldMs: number;
  /** At start-up, how long the active cluster may take to first reach quorum before a failover from it. */
  startupGraceMs?: number;
  pollMs: number;
  clusters: Record<ClusterName, BrokerSpec[]>;
  /** Absolute paths. */
  lds: { file: string; choices: Record<ClusterName, string> };
  /** Absolute path, or undefined when events are not written to a file. */
  eventsFile?: string;
  /** replication.mode shadow: the replicator the controller calls around a switch (./replication.ts). */
  replication?: ReplicationHook;
}

/** A config problem: `key` is the dotted path of the offending key (clusters.primary[1].broker). */
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    readonly problem: string,
  ) {
    super(`${key}: ${problem}`);
    this.name = 'ConfigError';
  }
}

export const DEFAULTS = { failback: 'auto' as FailbackMode, failbackHoldMs: 10_000, pollMs: 200 };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function object(v: unknown, key: string, allowed: readonly string[]): Obj {
  if (!isObj(v)) throw new ConfigError(key || '(top level)', `must be an object, got ${describe(v)}`);
  for (const k of Object.keys(v)) {
    if (k.startsWith('$')) continue;
    if (!allowed.includes(k)) {
      throw new ConfigError(key ? `${key}.${k}` : k, `unknown key (known here: ${allowed.join(', ')})`);
    }
  }
  return v;
}

function string(v: unknown, key: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw new ConfigError(key, `must be a non-empty string, got ${describe(v)}`);
  return v;
}

function integer(v: unknown, key: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ConfigError(key, `must be an integer, got ${describe(v)}`);
  if (v < min || v > max) {
    throw new ConfigError(key, max === Number.MAX_SAFE_INTEGER ? `must be at least ${min}, got ${v}` : `must be from ${min} to ${max}, got ${v}`);
  }
  return v;
}

function required(o: Obj, k: string, parent: string): unknown {
  if (o[k] === undefined) throw new ConfigError(parent ? `${parent}.${k}` : k, 'is required');
  return o[k];
}

function brokers(v: unknown, key: string): BrokerSpec[] {
  if (!Array.isArray(v) || v.length === 0) throw new ConfigError(key, `must be a non-empty array of brokers, got ${describe(v)}`);
  return v.map((b, i) => {
    const k = `${key}[${i}]`;
    const o = object(b, k, ['broker', 'envoyClusters']);
    const broker = string(required(o, 'broker', k), `${k}.broker`);
    const ec = required(o, 'envoyClusters', k);
    if (!Array.isArray(ec) || ec.length === 0) {
      throw new ConfigError(`${k}.envoyClusters`, `must be a non-empty array of Envoy cluster names, got ${describe(ec)}`);
    }
    const envoyClusters = ec.map((c, j) => string(c, `${k}.envoyClusters[${j}]`));
    const dup = envoyClusters.find((c, j) => envoyClusters.indexOf(c) !== j);
    if (dup !== undefined) throw new ConfigError(`${k}.envoyClusters`, `names ${JSON.stringify(dup)} twice`);
    return { broker, envoyClusters };
  });
}

/** Majority of a cluster of `size` brokers. */
export function majority(size: number): number {
  return Math.floor(size / 2) + 1;
}

/**
 * Validates a parsed config document. Relative paths resolve against `baseDir`.
 * @throws ConfigError naming the first bad key
 */
function parseAdminUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError('adminUrl', `is not a URL: ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('adminUrl', `must be an http:// or https:// URL, got ${JSON.stringify(text)}`);
  }
  if (url.search || url.hash) throw new ConfigError('adminUrl', 'must not have a query or fragment');
  return url;
}

/** Both clusters' brokers; a broker named twice is an error naming both places. */
function parseClusters(raw: unknown): ControllerConfig['clusters'] {
  const clustersObj = object(raw, 'clusters', CLUSTER_NAMES);
  const clusters = {
    primary: brokers(required(clustersObj, 'primary', 'clusters'), 'clusters.primary'),
    secondary: brokers(required(clustersObj, 'secondary', 'clusters'), 'clusters.secondary'),
  };
  const seen = new Map<string, string>();
  for (const c of CLUSTER_NAMES) {
    clusters[c].forEach((b, i) => {
      const key = `clusters.${c}[${i}].broker`;
      const before = seen.get(b.broker);
      if (before) throw new ConfigError(key, `${JSON.stringify(b.broker)} is already configured at ${before}`);
      seen.set(b.broker, key);
    });
  }
  return clusters;
}

export function parseConfig(raw: unknown, baseDir: string): ControllerConfig {
  const top = object(raw, '', ['adminUrl', 'listen', 'quorum', 'failback', 'failbackHoldMs', 'pollMs', 'clusters', 'lds', 'eventsFile', 'replication', 'startupGraceMs']);

  const adminUrl = parseAdminUrl(string(required(top, 'adminUrl', ''), 'adminUrl'));

  const listenObj = object(required(top, 'listen', ''), 'listen', ['address', 'port']);
  const listen = {
    address: string(required(listenObj, 'address', 'listen'), 'listen.address'),
    port: integer(required(listenObj, 'port', 'listen'), 'listen.port', 1, 65_535),
  };

  const clusters = parseClusters(required(top, 'clusters', ''));
  const smaller = Math.min(clusters.primary.length, clusters.secondary.length);

  const quorum =
    top.quorum === undefined ? majority(smaller) : integer(top.quorum, 'quorum', 1, smaller);

  let failback = DEFAULTS.failback;
  if (top.failback !== undefined) {
    if (top.failback !== 'auto' && top.failback !== 'manual') {
      throw new ConfigError('failback', `must be "auto" or "manual", got ${describe(top.failback)}`);
    }
    failback = top.failback;
  }
  const failbackHoldMs = top.failbackHoldMs === undefined ? DEFAULTS.failbackHoldMs : integer(top.failbackHoldMs, 'failbackHoldMs', 0);
  const startupGraceMs = top.startupGraceMs === undefined ? undefined : integer(top.startupGraceMs, 'startupGraceMs', 0);
  const pollMs = top.pollMs === undefined ? DEFAULTS.pollMs : integer(top.pollMs, 'pollMs', 10, 60_000);

  const path = (v: unknown, key: string) => {
    const p = string(v, key);
    return isAbsolute(p) ? p : resolve(baseDir, p);
  };
  const ldsObj = object(required(top, 'lds', ''), 'lds', ['file', 'choices']);
  const choicesObj = object(required(ldsObj, 'choices', 'lds'), 'lds.choices', CLUSTER_NAMES);
  const lds = {
    file: path(required(ldsObj, 'file', 'lds'), 'lds.file'),
    choices: {
      primary: path(required(choicesObj, 'primary', 'lds.choices'), 'lds.choices.primary'),
      secondary: path(required(choicesObj, 'secondary', 'lds.choices'), 'lds.choices.secondary'),
    },
  };
  if (lds.choices.primary === lds.choices.secondary) throw new ConfigError('lds.choices.secondary', 'is the same file as lds.choices.primary');
  for (const c of CLUSTER_NAMES) {
    if (lds.choices[c] === lds.file) throw new ConfigError(`lds.choices.${c}`, 'is the same file as lds.file (the controller overwrites lds.file)');
  }

  const eventsFile = top.eventsFile === undefined ? undefined : path(top.eventsFile, 'eventsFile');
  let replication: ReplicationHook | undefined;
  if (top.replication !== undefined) {
    const r = object(top.replication, 'replication', ['url', 'promoteTimeoutMs', 'failbackTimeoutMs', 'fenced']);
    replication = {
      url: parseAdminUrl(string(required(r, 'url', 'replication'), 'replication.url')).href.replace(/\/+$/, ''),
      promoteTimeoutMs: integer(required(r, 'promoteTimeoutMs', 'replication'), 'replication.promoteTimeoutMs', 100),
      failbackTimeoutMs: integer(required(r, 'failbackTimeoutMs', 'replication'), 'replication.failbackTimeoutMs', 1_000),
      fenced: path(required(r, 'fenced', 'replication'), 'replication.fenced'),
    };
  }

  return {
    adminUrl: adminUrl.href.replace(/\/+$/, ''),
    listen,
    quorum,
    failback,
    failbackHoldMs,
    pollMs,
    clusters,
    lds,
    ...(eventsFile === undefined ? {} : { eventsFile }),
    ...(replication === undefined ? {} : { replication }),
    ...(startupGraceMs === undefined ? {} : { startupGraceMs }),
  };
}

/**
 * Reads and validates the config file.
 * @throws ConfigError (unreadable file and bad JSON included, with key "(file)")
 */
export function loadConfig(file: string): ControllerConfig {
  const abs = resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    throw new ConfigError('(file)', `cannot read ${abs}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('(file)', `${abs} is not valid JSON: ${(err as Error).message}`);
  }
  return parseConfig(raw, dirname(abs));
}
