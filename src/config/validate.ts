/**
 * Reading a config file's document against the schema, and the flags that override it. Pure: no I/O.
 *
 * `readConfigDocument()` turns a parsed YAML document into a partial topology plus one message per
 * problem, in the order the document has them, each with its key path and, for an unknown key, the key
 * meant. What is valid in a document with problems is still read, so the checks across keys (./checks.ts)
 * see it too and every problem is reported at once.
 */
import type { z } from 'zod';
import type { ConfigProblem } from './checks.js';
import { configFileSchema } from './file-form.js';
import { schemaPaths, type SchemaPath } from './reference.js';
import { MAX_BROKERS, replicationModeSchema, rewriteSchema, topologyObject } from './schema.js';
import { describeValue } from './schema-kit.js';
import type { RewriteStrategy, Topology } from './topology.js';

// Where the CLI and Envoy's validation have always found them.
export { configReference, schemaPaths, type ConfigKeyReference } from './reference.js';
export type { ConfigProblem } from './checks.js';

type Path = (string | number)[];

/** A problem and, as zod gives it, where: the key path as a list. */
export interface FoundProblem extends ConfigProblem {
  at: Path;
}

export function formatProblem(p: ConfigProblem): string {
  return p.path ? `${p.path}: ${p.message}` : p.message;
}

/** `healthCheck.interval`, `topics[0].name`; a path made of one display string is that string. */
export function formatPath(path: Path): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${key}` : key), '');
}

function normalizeKey(key: string): string {
  return key.replace(/[-_\s]/g, '').toLowerCase().replace(/ms$/, '');
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}

/** What to say about an unknown key in the section at `at`: the key meant, where it belongs, or the keys there are. */
export function unknownKeyMessage(key: string, at: Path, all: SchemaPath[] = schemaPaths()): string {
  const parent = formatPath(at).replace(/\[\d+\]/g, '[]');
  const siblings = all.filter((p) => p.parent === parent);
  const norm = normalizeKey(key);
  const same = siblings.find((s) => normalizeKey(s.key) === norm);
  if (same) {
    const why = same.duration && /ms$/i.test(key) ? ' (durations are written without the Ms suffix, e.g. "3s")' : '';
    return `unknown key; did you mean "${same.key}"?${why}`;
  }
  const elsewhere = all.find((p) => normalizeKey(p.key) === norm);
  if (elsewhere) return `unknown key here; did you mean "${elsewhere.path}"?`;
  const best = siblings
    .map((s) => ({ key: s.key, d: editDistance(key.toLowerCase(), s.key.toLowerCase()) }))
    .sort((a, b) => a.d - b.d)[0];
  if (best && best.d <= Math.max(2, Math.floor(key.length / 3))) return `unknown key; did you mean "${best.key}"?`;
  return `unknown key; known keys here: ${siblings.map((s) => s.key).join(', ')}`;
}

/** Where `path` sits in `doc`: the index of each key in its mapping (a key not there sorts last). */
function documentRank(doc: unknown, path: Path): number[] {
  const rank: number[] = [];
  let node = doc;
  for (const key of path) {
    const keys = node && typeof node === 'object' && !Array.isArray(node) ? Object.keys(node) : undefined;
    const i = typeof key === 'number' ? key : (keys?.indexOf(key) ?? -1);
    rank.push(i < 0 ? Infinity : i);
    node = (node as Record<string | number, unknown> | null | undefined)?.[key];
  }
  return rank;
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return a.length - b.length;
}

/**
 * One problem per zod issue (one per unknown key), each path once, in the document's order. Unknown
 * keys get `unknownKey`'s message: the config file names the key meant, state.json just says so.
 */
export function issueProblems(
  error: z.ZodError,
  doc: unknown,
  unknownKey: (key: string, at: Path) => string = () => 'unknown key',
): FoundProblem[] {
  const all = error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ at: [...issue.path, key], message: unknownKey(key, issue.path) }))
      : [{ at: issue.path, message: issue.message }],
  );
  const seen = new Set<string>();
  const once = all.filter((p) => {
    const id = JSON.stringify(p.at);
    return !seen.has(id) && Boolean(seen.add(id));
  });
  return once
    .map(({ at, message }) => ({ p: { path: formatPath(at), message, at }, rank: documentRank(doc, at) }))
    .sort((a, b) => compareRanks(a.rank, b.rank))
    .map(({ p }) => p);
}

/** `node` without what lies at `cuts` (paths as JSON). */
function pruned(node: unknown, cuts: Set<string>, at: Path = []): unknown {
  const cut = (key: string | number) => cuts.has(JSON.stringify([...at, key]));
  if (Array.isArray(node)) return node.flatMap((v, i) => (cut(i) ? [] : [pruned(v, cuts, [...at, i])]));
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(Object.entries(node).flatMap(([k, v]) => (cut(k) ? [] : [[k, pruned(v, cuts, [...at, k])]])));
}

/** A partial topology read from a config file: only the keys the file sets, converted (durations → ms). */
export type TopologyPatch = Record<string, unknown>;

/**
 * Reads a parsed YAML document against the schema: what it sets, and every problem with it. A list
 * item with a problem is left out whole; everything else valid is kept.
 */
export function readConfigDocument(doc: unknown): { patch: TopologyPatch; problems: ConfigProblem[] } {
  return readDocumentWith(doc, configFileSchema, unknownKeyMessage);
}

/** readConfigDocument for a file of another form (`fileSchema`, e.g. the clusters file), its unknown keys told by `unknownKey`. */
export function readDocumentWith(
  doc: unknown,
  fileSchema: z.ZodType<Record<string, unknown>, z.ZodTypeDef, unknown>,
  unknownKey: (key: string, at: Path) => string,
): { patch: TopologyPatch; problems: ConfigProblem[] } {
  const first = fileSchema.safeParse(doc);
  if (first.success) return { patch: first.data, problems: [] };
  const problems = issueProblems(first.error, doc, unknownKey);
  // What to leave out: the key with the problem, or the list item that holds it.
  const cuts = problems.map(({ at }) => {
    const item = at.findIndex((k) => typeof k === 'number');
    return item < 0 ? at : at.slice(0, item + 1);
  });
  if (cuts.some((c) => c.length === 0)) return { patch: {}, problems };
  const rest = fileSchema.safeParse(pruned(doc, new Set(cuts.map((c) => JSON.stringify(c)))));
  return { patch: rest.success ? rest.data : {}, problems };
}

/** `base` with `patch` laid over it: sections merge key by key, lists and scalars replace. */
export function applyPatch(base: Topology, patch: TopologyPatch): Topology {
  const out: Record<string, unknown> = structuredClone(base) as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    out[key] =
      value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object'
        ? { ...(current as object), ...(value as object) }
        : value;
  }
  return out as unknown as Topology;
}

// ---------------------------------------------------------------------------------------------------
// Command-line overrides

export function parseBrokersFlag(value: number | string): { value?: number; problem?: ConfigProblem } {
  const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!topologyObject.shape.brokers.safeParse(n).success) {
    return { problem: { path: '--brokers', message: `expected a whole number from 1 to ${MAX_BROKERS}, got ${describeValue(value)}` } };
  }
  return { value: n };
}

export function parseReplicationFlag(value: string): { value?: Topology['replication']['mode']; problem?: ConfigProblem } {
  const read = replicationModeSchema.safeParse(value);
  return read.success ? { value: read.data } : { problem: { path: '--replication', message: read.error.issues[0]!.message } };
}

export function parseRewriteFlag(value: string): { value?: RewriteStrategy; problem?: ConfigProblem } {
  const read = rewriteSchema.safeParse(value);
  return read.success ? { value: read.data } : { problem: { path: '--rewrite', message: read.error.issues[0]!.message } };
}
