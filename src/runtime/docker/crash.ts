/**
 * A crash of one part, as Docker sees one: every process of its container but Docker's init (PID 1,
 * `init: true` in the rendered compose file) killed with SIGKILL from inside the container; the init
 * then exits 137 and the restart policy (`unless-stopped`) starts the container again. A `docker kill` or
 * `docker stop` would count as a stop on purpose, which Docker does not restart.
 */
import type Docker from 'dockerode';
import { UserError } from '../../util/errors.js';
import { waitFor, WaitTimeoutError } from '../../util/wait.js';
import type { CrashResult } from '../types.js';
import { containerLogTail, containerState, execInContainer, type ContainerState } from './engine.js';
import { exitCodeFromEvents, recordExit, type PartRef } from './parts.js';

/** SIGKILL to every process but PID 1 and this shell (run as root); needs only a POSIX sh in the image. */
const CRASH_COMMAND = ['sh', '-c', 'kill -KILL -1'];

export const DEFAULT_CRASH_TIMEOUT_MS = 120_000;

/** Refuses a container that cannot crash and come back the Docker way: not running, or created without init / restart policy. */
function crashRefusal(part: PartRef, s: ContainerState | undefined): UserError | undefined {
  if (!s) return new UserError(`${part.name} is not running: there is no container ${part.container}`, 'start the demo first: `failover-demo start`');
  if (!s.running) return new UserError(`${part.name} is not running (container ${part.container}: ${s.status})`, 'bring it back first: `failover-demo start` (it starts the parts that are down)');
  if (!s.init || s.restartPolicy === 'no') {
    return new UserError(
      `${part.container} was created without Docker's init and a restart policy (init ${s.init}, restart ${s.restartPolicy}): a crash could not be emulated, or it would not come back`,
      'it was started from an older docker-compose.yml: `failover-demo stop`, then `failover-demo start` renders the current one',
    );
  }
  return undefined;
}

/** Sends the crash; resolves the time the kill was sent. An exec that fails while the container still runs is an error. */
/** Resolves when the kill command has run: the kill happened between `sentAt` and then. */
async function sendCrash(docker: Docker, part: PartRef, before: ContainerState): Promise<number> {
  const sentAt = Date.now();
  // The shell is killed with the container: its exec may end without an exit code (-1) or with 137.
  const r = await execInContainer(docker, part.container, CRASH_COMMAND, 10_000, '0').catch((e: Error) => ({ code: -2, output: e.message }));
  if ([0, -1, 137].includes(r.code)) return sentAt;
  const now = await containerState(docker, part.container);
  if (now && now.running && now.restartCount === before.restartCount && now.startedAt === before.startedAt) {
    throw new UserError(`could not emulate a crash of ${part.name}: \`${CRASH_COMMAND.join(' ')}\` in ${part.container} failed (${r.output.trim() || `exit ${r.code}`})`, `its image needs a POSIX sh; see \`docker logs ${part.container}\``);
  }
  return sentAt;
}

/** Waits until the restart policy has the container running again with one more restart; a container left stopped fails at once. */
async function waitRestarted(docker: Docker, part: PartRef, before: ContainerState, killedAt: number, timeoutMs: number, signal: AbortSignal): Promise<ContainerState> {
  let left: ContainerState | undefined;
  const s = await waitFor(
    async () => {
      const now = await containerState(docker, part.container);
      if (now && (now.status === 'exited' || now.status === 'dead') && now.restartCount === before.restartCount) return (left = now);
      return now?.running && now.restartCount > before.restartCount ? now : false;
    },
    { timeoutMs, intervalMs: 50, what: `${part.container} to be restarted by Docker`, signal },
  );
  if (left) {
    throw new UserError(`${part.container} ${left.status} (code ${left.exitCode}) after the crash and Docker did not restart it (restart policy: ${left.restartPolicy})`, 'bring it back with `failover-demo start` (it starts the parts that are down)');
  }
  // Docker's own start time of the new run (same clock on a local engine), else when it was seen.
  return { ...s, startedAt: s.startedAt >= killedAt && s.startedAt <= Date.now() ? s.startedAt : Date.now() };
}

/** Keeps the crashed run's exit code (Docker resets it on the restart), from the engine's events, for `status`. */
async function keepExitCode(docker: Docker, projectDir: string, part: PartRef, after: ContainerState): Promise<void> {
  const code = await exitCodeFromEvents(docker, after);
  if (code !== undefined) recordExit(projectDir, part.container, { containerId: after.id, finishedAt: after.finishedAtText, exitCode: code });
}

export interface CrashOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Crashes `part`, waits for Docker to restart it, then for `serving` (the part's own "serves again" wait,
 * resolving the time it first did; undefined when it cannot be waited for). Every wait shares one deadline.
 */
export async function crashContainer(
  docker: Docker,
  projectDir: string,
  part: PartRef,
  serving: (signal: AbortSignal) => Promise<number | undefined>,
  options: CrashOptions = {},
): Promise<CrashResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CRASH_TIMEOUT_MS;
  const before = await containerState(docker, part.container);
  const refusal = crashRefusal(part, before);
  if (refusal) throw refusal;
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  const sentAt = await sendCrash(docker, part, before!);
  let killedAt = sentAt;
  const killed = `${part.label}'s container processes`;
  let restartedAt: number | undefined;
  try {
    const after = await waitRestarted(docker, part, before!, sentAt, timeoutMs, signal);
    // When the crashed run ended (Docker keeps its finish time across the restart): clients lost the
    // part then, not when the kill command was sent (a `docker exec` takes a while to start).
    if (after.finishedAt >= sentAt && after.finishedAt <= after.startedAt) killedAt = after.finishedAt;
    restartedAt = after.startedAt;
    const [servingAt] = await Promise.all([serving(signal), keepExitCode(docker, projectDir, part, after).catch(() => undefined)]);
    return { part: part.name, killed, killedAt, restartedAt, ...(servingAt !== undefined ? { servingAt } : {}), restarts: after.restartCount };
  } catch (e) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (!deadline.aborted && !(e instanceof WaitTimeoutError)) throw e;
    const now = await containerState(docker, part.container);
    const tail = await containerLogTail(docker, part.container);
    const what = restartedAt ? 'restarted but did not serve again' : 'was not restarted';
    throw new UserError(
      `${part.name} ${what} within ${timeoutMs / 1000} s of the crash (container ${now ? `${now.status}, ${now.restartCount} restarts` : 'gone'})${tail ? `; its last output:\n${tail}` : ''}`,
      `see \`docker logs ${part.container}\` and \`failover-demo status\``,
    );
  }
}
