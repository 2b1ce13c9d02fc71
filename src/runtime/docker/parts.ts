/**
 * The Docker runtime's supervised parts (Envoy, the failover controller, the replicator, each broker) as Docker's restart
 * policy sees them: running, restarts, how the last run ended.
 *
 * Docker resets State.ExitCode to 0 when the restart policy starts a container again, so once a crashed
 * part is back, inspect no longer says how it ended. The code is then taken from the exit journal (what
 * `crash` saw, kept in <project>/.failover-demo/docker-exits.json) or from the engine's recent `die`
 * events (it keeps only a few hundred events, a minute or less on a running demo).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { brokersOf, type Topology } from '../../config/topology.js';
import { CONTROLLER_SERVICE, ENVOY_SERVICE } from '../../render/compose.js';
import { REPLICATOR_SERVICE } from '../../render/replicator.js';
import { writeFileAtomic } from '../../util/fs.js';
import { stateDir } from '../../util/paths.js';
import type { PartStatus } from '../types.js';
import { containerState, dieEvents, type ContainerState } from './engine.js';

export interface PartRef {
  /** 'envoy', 'controller', 'replicator' or a broker's name. */
  name: string;
  container: string;
  /** For people: "Envoy", "the failover controller", "primary-broker-0". */
  label: string;
}

/** Every supervised part of the topology: Envoy, the controller (coherent policy), the replicator (replication: shadow), each broker. */
export function partsOf(t: Topology): PartRef[] {
  return [
    { name: 'envoy', container: ENVOY_SERVICE, label: 'Envoy' },
    ...(t.failover.policy === 'coherent' ? [{ name: 'controller', container: CONTROLLER_SERVICE, label: 'the failover controller' }] : []),
    ...(t.replication.mode === 'shadow' ? [{ name: 'replicator', container: REPLICATOR_SERVICE, label: 'the replicator (MirrorMaker 2)' }] : []),
    ...brokersOf(t).map((b) => ({ name: b.name, container: b.name, label: b.name })),
  ];
}

/** "exited with code 137 (SIGKILL)", "exited with code 1". */
export function describeExit(code: number, oomKilled = false): string {
  const signal = code > 128 ? Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0] : undefined;
  return `exited with code ${code}${signal ? ` (${signal})` : ''}${oomKilled ? ', killed by the OOM killer' : ''}`;
}

/** One container's last end as seen by `crash`, matched to the container by id and Docker's FinishedAt. */
interface RecordedExit {
  containerId: string;
  finishedAt: string;
  exitCode: number;
}

function journalFile(projectDir: string): string {
  return join(stateDir(projectDir), 'docker-exits.json');
}

function readJournal(projectDir: string): Record<string, RecordedExit> {
  try {
    const file = journalFile(projectDir);
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, RecordedExit>) : {};
  } catch {
    return {};
  }
}

/** Keeps how a container's last run ended, so `status` can still say it after Docker restarted it. */
export function recordExit(projectDir: string, container: string, exit: RecordedExit): void {
  writeFileAtomic(journalFile(projectDir), JSON.stringify({ ...readJournal(projectDir), [container]: exit }, null, 2) + '\n');
}

/** Forgets every recorded exit (the containers are gone). */
export function clearExits(projectDir: string): void {
  rmSync(journalFile(projectDir), { force: true });
}

/** The exit code of the run that ended at `s.finishedAt`, from the engine's recent events; undefined when they no longer hold it. */
export async function exitCodeFromEvents(docker: Docker, s: ContainerState): Promise<number | undefined> {
  const events = await dieEvents(docker, s.id, s.finishedAt - 2_000, s.finishedAt + 2_000).catch(() => []);
  const closest = events.sort((a, b) => Math.abs(a.at - s.finishedAt) - Math.abs(b.at - s.finishedAt))[0];
  return closest?.exitCode;
}

/** How the last run ended, for a container that has ended at least once. */
async function lastExit(docker: Docker, projectDir: string, container: string, s: ContainerState): Promise<string> {
  // Exited, or waiting for its restart: State.ExitCode is that run's.
  if (!s.running) return describeExit(s.exitCode, s.oomKilled);
  const recorded = readJournal(projectDir)[container];
  const code = recorded?.containerId === s.id && recorded.finishedAt === s.finishedAtText ? recorded.exitCode : await exitCodeFromEvents(docker, s);
  if (code !== undefined) return describeExit(code, s.oomKilled);
  return s.restartCount > 0 ? 'ended, then restarted by Docker (its exit code is no longer known)' : 'ended, then started again';
}

/** One part's status from its container (not running, no restarts when there is no container). */
export async function partStatus(docker: Docker, projectDir: string, part: PartRef): Promise<PartStatus> {
  const s = await containerState(docker, part.container);
  if (!s) return { name: part.name, running: false, restarts: 0 };
  const ended = s.finishedAt > 0 && s.status !== 'created';
  return {
    name: part.name,
    running: s.running,
    restarts: s.restartCount,
    ...(ended ? { lastExit: await lastExit(docker, projectDir, part.container, s), lastExitAt: new Date(s.finishedAt).toISOString() } : {}),
  };
}
