/**
 * The replicator's state: which flow runs, where it started (for lag), and the promotion of the
 * secondary. Kept in <workDir>/replicator-state.json (written atomically), so a restarted replicator
 * carries on in the same direction. Pure apart from load/save.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Offsets } from './offsets.js';

/**
 * forward: primary -> secondary runs (the primary is active).
 * promoted: nothing runs; the secondary took over at `promotion`.
 * reverse: secondary -> primary runs (catching the primary up before failback).
 */
export type Phase = 'forward' | 'promoted' | 'reverse';

export interface Promotion {
  at: number;
  /** The secondary's end offsets when it was promoted: where writes to it begin. */
  secondaryEnd: Offsets;
}

export interface ReplicatorState {
  phase: Phase;
  since: number;
  /** Where the running flow started, on its source and its target (lag counts from here). */
  base?: { source: Offsets; target: Offsets };
  promotion?: Promotion;
  /** Completed failovers and failbacks. */
  cycles: number;
}

export const stateFile = (workDir: string) => join(workDir, 'replicator-state.json');

export function loadState(workDir: string): ReplicatorState | undefined {
  const file = stateFile(workDir);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as ReplicatorState;
}

export function saveState(workDir: string, s: ReplicatorState): void {
  const file = stateFile(workDir);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(s, null, 2)}\n`);
  renameSync(tmp, file);
}
