/**
 * What `start` remembers for later commands: which runtime, which topology (so `broker stop`,
 * `routing`, `produce` … need no flags), and when.
 *
 * The file is checked against the topology's schema when read: one written by another version of
 * failover-demo (a key added or renamed since) or damaged gives a StateFileError naming the fix, not a
 * crash somewhere later. `stop` reads it leniently (readStateForStop), so that fix always works.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { topologySchema } from '../config/checks.js';
import { salvageTopology } from '../config/load.js';
import { oneOf, text } from '../config/schema-kit.js';
import type { Topology } from '../config/topology.js';
import { formatProblem, issueProblems } from '../config/validate.js';
import type { RuntimeKind } from './types.js';
import { UserError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { stateDir } from '../util/paths.js';

export interface DemoState {
  runtime: RuntimeKind;
  topology: Topology;
  /** The --config file the demo was started with, if any (absolute path). */
  configFile?: string;
  startedAt: string;
}

const runtimeSchema = oneOf(['docker', 'local'], 'The runtime the demo was started on.');

const demoStateSchema: z.ZodType<DemoState, z.ZodTypeDef, unknown> = z.object({
  runtime: runtimeSchema,
  topology: topologySchema,
  configFile: text('The --config file the demo was started with (absolute path).').optional(),
  startedAt: text('When the demo was started (ISO 8601).'),
});

/** How many of a state file's problems its error shows. */
const PROBLEMS_SHOWN = 3;

/** A state file this version cannot use; the hint says how to get rid of it. */
export class StateFileError extends UserError {
  constructor(
    readonly file: string,
    why: string,
  ) {
    super(
      `${file} cannot be used: ${why}`,
      'run `failover-demo stop` (it stops what the file records, as far as it can be read, and removes the file), or delete .failover-demo/state.json if that demo no longer runs',
    );
    this.name = 'StateFileError';
  }
}

export function stateFile(project: string): string {
  return join(stateDir(project), 'state.json');
}

/** The file's JSON; throws StateFileError when it cannot be read or is not JSON. */
function readJson(file: string): unknown {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (err) {
    throw new StateFileError(file, `cannot read it (${(err as Error).message})`);
  }
  try {
    return JSON.parse(source);
  } catch (err) {
    throw new StateFileError(file, `it is not valid JSON (${(err as Error).message})`);
  }
}

/** The running demo's state; undefined when none was started. @throws StateFileError */
export function readState(project: string): DemoState | undefined {
  const file = stateFile(project);
  if (!existsSync(file)) return undefined;
  const json = readJson(file);
  const read = demoStateSchema.safeParse(json);
  if (read.success) return read.data;
  const problems = issueProblems(read.error, json).map(formatProblem);
  const shown = problems.slice(0, PROBLEMS_SHOWN).join('; ');
  const more = problems.length > PROBLEMS_SHOWN ? ` (and ${problems.length - PROBLEMS_SHOWN} more)` : '';
  throw new StateFileError(file, `it was written by another version of failover-demo, or is damaged: ${shown}${more}`);
}

/**
 * For `stop`: the state even when readState refuses it, with the topology read as far as it can be
 * (the defaults elsewhere), so a demo started by another version can still be stopped. Undefined when
 * there is no file, or not even the runtime can be read from it.
 */
export function readStateForStop(project: string, env: Record<string, string | undefined> = process.env): DemoState | undefined {
  try {
    return readState(project);
  } catch (err) {
    if (!(err instanceof StateFileError)) throw err;
  }
  let json: Record<string, unknown>;
  try {
    json = Object(readJson(stateFile(project))) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const runtime = runtimeSchema.safeParse(json.runtime);
  if (!runtime.success) return undefined;
  const startedAt = typeof json.startedAt === 'string' ? json.startedAt : 'an unknown time';
  return { runtime: runtime.data, topology: salvageTopology(json.topology, env), startedAt };
}

export function writeState(project: string, state: DemoState): void {
  writeFileAtomic(stateFile(project), JSON.stringify(state, null, 2) + '\n');
}

export function clearState(project: string): void {
  rmSync(stateFile(project), { force: true });
}
