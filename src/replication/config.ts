/**
 * The replicator's configuration: one JSON file written by the runtime (../runtime/local/parts.ts, the
 * Docker runtime's compose service), read once at start. `parseReplicatorConfig` is pure.
 */
import { readFileSync } from 'node:fs';

export type ClusterName = 'primary' | 'secondary';

export interface ReplicatorConfig {
  /** The replicator's HTTP API (GET /v1/replication, POST /v1/promote, /v1/reverse, /v1/failback). */
  listen: { address: string; port: number };
  /** Each cluster's brokers, reached directly (never through Envoy), and the replication factor for MM2's topics there. */
  clusters: Record<ClusterName, { bootstrap: string[]; replicationFactor: number }>;
  /** Topics replicated (same names on both clusters). */
  topics: string[];
  /** Folder of Apache Kafka's jars, with connect-mirror (see ../util/installs.ts). */
  kafkaLibs: string;
  java: string;
  heapMb: number;
  /** Where MM2's properties, its log4j file and the replicator's state file live. */
  workDir: string;
  /** MM2's checkpoint and group offset sync interval. */
  syncIntervalMs: number;
  /** How often lag is read from both clusters. */
  lagPollMs: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function need<T>(ok: boolean, key: string, what: string, v: unknown): T {
  if (!ok) throw new Error(`replicator config: ${key} must be ${what}`);
  return v as T;
}

function strings(v: unknown, key: string): string[] {
  return need(Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string' && s.length > 0), key, 'a non-empty list of strings', v);
}

function num(v: unknown, key: string, min: number): number {
  return need(typeof v === 'number' && Number.isInteger(v) && v >= min, key, `an integer ≥ ${min}`, v);
}

function str(v: unknown, key: string): string {
  return need(typeof v === 'string' && v.length > 0, key, 'a non-empty string', v);
}

export function parseReplicatorConfig(raw: unknown): ReplicatorConfig {
  const o = need<Obj>(isObj(raw), '(top level)', 'an object', raw);
  const listen = need<Obj>(isObj(o.listen), 'listen', 'an object {address, port}', o.listen);
  const clusters = need<Obj>(isObj(o.clusters), 'clusters', 'an object {primary, secondary}', o.clusters);
  const cluster = (name: ClusterName) => {
    const c = need<Obj>(isObj(clusters[name]), `clusters.${name}`, 'an object {bootstrap, replicationFactor}', clusters[name]);
    return { bootstrap: strings(c.bootstrap, `clusters.${name}.bootstrap`), replicationFactor: num(c.replicationFactor, `clusters.${name}.replicationFactor`, 1) };
  };
  return {
    listen: { address: str(listen.address, 'listen.address'), port: num(listen.port, 'listen.port', 0) },
    clusters: { primary: cluster('primary'), secondary: cluster('secondary') },
    topics: strings(o.topics, 'topics'),
    kafkaLibs: str(o.kafkaLibs, 'kafkaLibs'),
    java: typeof o.java === 'string' ? o.java : 'java',
    heapMb: o.heapMb === undefined ? 256 : num(o.heapMb, 'heapMb', 64),
    workDir: str(o.workDir, 'workDir'),
    syncIntervalMs: o.syncIntervalMs === undefined ? 1000 : num(o.syncIntervalMs, 'syncIntervalMs', 1000),
    lagPollMs: o.lagPollMs === undefined ? 500 : num(o.lagPollMs, 'lagPollMs', 50),
  };
}

export function loadReplicatorConfig(file: string): ReplicatorConfig {
  return parseReplicatorConfig(JSON.parse(readFileSync(file, 'utf8')));
}
