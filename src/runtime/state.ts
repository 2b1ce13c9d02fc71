/**
 * What `start` remembers for later commands: which runtime, which topology (so `broker stop`,
 * `routing`, `produce` … need no flags), and when.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Topology } from '../config/topology.js';
import type { RuntimeKind } from './types.js';
import { writeFileAtomic } from '../util/fs.js';
import { stateDir } from '../util/paths.js';

export interface DemoState {
  runtime: RuntimeKind;
  topology: Topology;
  /** The --config file the demo was started with, if any (absolute path). */
  configFile?: string;
  startedAt: string;
}

export function stateFile(project: string): string {
  return join(stateDir(project), 'state.json');
}

export function readState(project: string): DemoState | undefined {
  const file = stateFile(project);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as DemoState;
  } catch {
    return undefined;
  }
}

export function writeState(project: string, state: DemoState): void {
  writeFileAtomic(stateFile(project), JSON.stringify(state, null, 2) + '\n');
}

export function clearState(project: string): void {
  rmSync(stateFile(project), { force: true });
}
