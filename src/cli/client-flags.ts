/** Validation of the clients' command-line values: each bad value becomes a UserError naming the fix. */
import { parseDuration } from '../config/duration.js';
import { UserError } from '../util/errors.js';
import type { StartPosition } from '../kafka/consumer.js';
import type { Topology } from '../config/topology.js';

/** A whole number >= min ("5000"). */
export function parseInteger(flag: string, text: string, min = 1): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < min) {
    throw new UserError(`${flag} must be a whole number >= ${min}, got "${text}"`, `e.g. ${flag} ${Math.max(min, 100)}`);
  }
  return n;
}

/** Messages per second: a number >= 0 (0 = as fast as acks come back). */
export function parseRate(flag: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new UserError(`${flag} must be messages per second (a number >= 0; 0 = unthrottled), got "${text}"`, `e.g. ${flag} 50`);
  }
  return n;
}

/** A duration given as seconds ("30") or with a unit ("30s", "2m", "500ms"); returns ms > 0. */
export function parseSeconds(flag: string, text: string): number {
  const bare = /^\s*\d+(\.\d+)?\s*$/.test(text) ? Math.round(Number(text) * 1000) : undefined;
  const ms = bare ?? parseDuration(text);
  if (ms === undefined || ms <= 0) {
    throw new UserError(`${flag} must be a duration in seconds ("30") or with a unit ("30s", "2m"), got "${text}"`, `e.g. ${flag} 60`);
  }
  return ms;
}

/** Milliseconds ("5000") or a duration with a unit ("5s"); returns ms >= min. */
export function parseMs(flag: string, text: string, min = 1): number {
  const bare = /^\s*\d+\s*$/.test(text) ? Number(text) : undefined;
  const ms = bare ?? parseDuration(text);
  if (ms === undefined || ms < min) {
    throw new UserError(`${flag} must be milliseconds >= ${min} ("5000") or a duration ("5s"), got "${text}"`, `e.g. ${flag} 5000`);
  }
  return ms;
}

export function parseStartPosition(flag: string, text: string): StartPosition {
  if (text === 'earliest' || text === 'latest') return text;
  throw new UserError(`${flag} must be "earliest" or "latest", got "${text}"`);
}

/** `--on-switch`: also 'committed', the group's offsets a replicator synced to the new cluster. */
export function parseOnSwitch(flag: string, text: string): StartPosition {
  if (text === 'committed' || text === 'earliest' || text === 'latest') return text;
  throw new UserError(
    `${flag} must be "committed", "earliest" or "latest", got "${text}"`,
    'committed when the clusters replicate (replication.mode: shadow), earliest when they do not',
  );
}

/**
 * `--on-switch` when not given: 'committed' when the demo replicates (replication.mode: shadow: the
 * replicator syncs the group's offsets to the other cluster), else 'earliest' (nothing to resume from there).
 */
export function defaultOnSwitch(topology: Pick<Topology, 'replication'> | undefined): StartPosition {
  return topology?.replication.mode === 'shadow' ? 'committed' : 'earliest';
}

/** host:port[,host:port…] */
export function parseBrokerList(flag: string, text: string): string[] {
  const list = text.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = list.filter((b) => !/^[^\s:]+:\d{1,5}$/.test(b));
  if (list.length === 0 || bad.length) {
    throw new UserError(`${flag} must be host:port[,host:port...], got "${text}"`, `e.g. ${flag} 127.0.0.1:9092`);
  }
  return list;
}

export function parseTopic(flag: string, text: string): string {
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(text) || text === '.' || text === '..') {
    throw new UserError(`${flag} "${text}" is not a valid Kafka topic name`, 'use letters, digits, ".", "_" and "-" (at most 249 characters)');
  }
  return text;
}
