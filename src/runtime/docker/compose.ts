/**
 * The coarse side of the Docker runtime: `docker compose` (v2) for up/down of the rendered project,
 * via execa with argument arrays. Failures become UserErrors carrying Compose's own last lines.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Topology } from '../../config/topology.js';
import { COMPOSE_FILE } from '../../render/files.js';
import { UserError } from '../../util/errors.js';

export interface ComposeProject {
  /** Folder holding docker-compose.yml (relative bind mounts resolve against it). */
  dir: string;
  name: string;
}

export function composeProject(t: Topology, projectDir: string): ComposeProject {
  return { dir: projectDir, name: t.project };
}

/**
 * Environment of every `docker compose` call: plain progress, and the invoking user's ids, which the
 * controller service runs as (so the listener file it writes on the host stays the user's).
 */
function composeEnv(): Record<string, string> {
  const env: Record<string, string> = { COMPOSE_PROGRESS: 'plain' };
  if (process.getuid && process.getgid) Object.assign(env, { FAILOVER_DEMO_UID: String(process.getuid()), FAILOVER_DEMO_GID: String(process.getgid()) });
  return env;
}

function baseArgs(p: ComposeProject): string[] {
  const file = join(p.dir, COMPOSE_FILE);
  // Without the file (e.g. deleted after start) Compose v2 still finds the project by name for `down`.
  return ['compose', '--project-name', p.name, '--project-directory', p.dir, ...(existsSync(file) ? ['--file', file] : [])];
}

function composeFailure(what: string, err: unknown): UserError {
  const e = err as { stderr?: string; stdout?: string; shortMessage?: string; isCanceled?: boolean };
  const tail = (e.stderr || e.stdout || e.shortMessage || String(err)).trim().split('\n').slice(-8).join('\n');
  return new UserError(`docker compose ${what} failed:\n${tail}`, 'run `failover-demo doctor` to check Docker, Compose, ports and images');
}

/**
 * `docker compose up -d`: creates the network, volumes and containers and starts them. Compose itself
 * waits for the brokers' healthchecks before it starts Envoy (depends_on: service_healthy).
 * `pull`: Compose's pull policy ("missing" pulls only images that are not present locally).
 */
export async function composeUp(p: ComposeProject, { signal, pull = 'missing' }: { signal?: AbortSignal; pull?: 'missing' | 'never' } = {}): Promise<void> {
  try {
    await execa('docker', [...baseArgs(p), 'up', '--detach', '--remove-orphans', '--pull', pull], {
      cancelSignal: signal,
      env: composeEnv(),
    });
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw composeFailure('up', err);
  }
}

/** `docker compose down`: removes containers and the network; with `volumes` the brokers' data too. */
export async function composeDown(p: ComposeProject, { volumes = false } = {}): Promise<void> {
  try {
    await execa('docker', [...baseArgs(p), 'down', '--remove-orphans', '--timeout', '10', ...(volumes ? ['--volumes'] : [])], {
      env: composeEnv(),
    });
  } catch (err) {
    throw composeFailure('down', err);
  }
}
