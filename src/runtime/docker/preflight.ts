/**
 * Pre-flight checks of the Docker runtime (`failover-demo doctor`, and `start` before it touches
 * anything): Docker CLI, daemon, Compose v2, ports, images (and, for replication: shadow, that the broker
 * image can run the replicator), memory. Each failed check names its fix
 * (../preflight.ts has what both runtimes share; ../local/preflight.ts the local runtime's checks).
 * When Docker itself cannot be used (CLI, daemon or Compose failed), `localRuntimeNote` says so and names
 * the local runtime, which runs the demo right now without Docker; `start` and `doctor` both show it.
 */
import { totalmem } from 'node:os';
import { execa } from 'execa';
import { brokersOf, directHostPort, type Topology } from '../../config/topology.js';
import { looksLikeRedpandaImage, STANDIN_REPLICATOR_ENV, STANDIN_REPLICATOR_MAIN } from '../../render/replicator.js';
import type { UserError } from '../../util/errors.js';
import { proxyPortClaims, type PortClaim } from '../ports.js';
import { checkPorts, failedChecksError, gib, type CheckResult, type PreflightOptions } from '../preflight.js';
import { dockerClient, projectContainers } from './engine.js';

export type { CheckLevel, CheckResult, PreflightOptions } from '../preflight.js';

/** Host ports the Docker runtime publishes on bindAddress: Envoy's, each broker's direct listener, the controller's, the replicator's. */
export function dockerPortClaims(t: Topology): PortClaim[] {
  const direct = brokersOf(t).map((b) => ({ port: directHostPort(t, b), purpose: `${b.name} direct Kafka listener` }));
  return [...proxyPortClaims(t, 'envoy'), ...direct, ...proxyPortClaims(t, 'controller'), ...proxyPortClaims(t, 'replicator')];
}

const REPLICATION_CHECK = 'replication';

/** What to do when the broker image cannot run the replicator (MirrorMaker 2). */
export const REPLICATION_IMAGE_FIX =
  'set replication.mode: none (or drop --replication shadow); or run replication with the local runtime (`failover-demo start --runtime local --replication shadow`, MirrorMaker 2 on this machine); ' +
  "or set redpanda.image to failover-demo's Kafka stand-in (`node scripts/docker/images.mjs broker` builds it). " +
  'For real Redpanda the path is Redpanda Shadowing (25.3+ with an enterprise licence or trial): its shadow-link config and checks exist (src/render/shadow-link.ts), but the Docker runtime does not run it yet';

/**
 * replication: shadow runs the replicator (MirrorMaker 2) in the broker image, so that image must be a
 * Kafka stand-in that carries it: its environment names the replicator (FAILOVER_DEMO_REPLICATOR).
 * Redpanda's own image has no MirrorMaker 2.
 */
export function replicationImageCheck(t: Topology, imageEnv: readonly string[] | undefined): CheckResult | undefined {
  if (t.replication.mode !== 'shadow') return undefined;
  const image = t.redpanda.image;
  if (imageEnv?.includes(`${STANDIN_REPLICATOR_ENV}=${STANDIN_REPLICATOR_MAIN}`)) {
    return { name: REPLICATION_CHECK, level: 'ok', detail: `replication: shadow runs MirrorMaker 2 in ${image} (Kafka stand-in)` };
  }
  const why = looksLikeRedpandaImage(image)
    ? `${image} is Redpanda, which cannot run the replicator (MirrorMaker 2)`
    : imageEnv === undefined
      ? `${image} is not present locally, so it cannot be checked for the replicator (MirrorMaker 2)`
      : `${image} does not carry the replicator (no ${STANDIN_REPLICATOR_ENV}=${STANDIN_REPLICATOR_MAIN} in its environment)`;
  return { name: REPLICATION_CHECK, level: 'error', detail: `replication: shadow on the Docker runtime needs the Kafka stand-in broker image; ${why}`, fix: REPLICATION_IMAGE_FIX };
}

async function imageEnvOf(t: Topology, env: NodeJS.ProcessEnv): Promise<string[] | undefined> {
  try {
    return (await dockerClient(env).getImage(t.redpanda.image).inspect()).Config?.Env ?? [];
  } catch {
    return undefined;
  }
}

/** "1G", "512M", "2048M" (Redpanda's --memory) → bytes; undefined when unparseable. */
export function parseMemory(spec: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?$/i.exec(spec.trim());
  if (!m) return undefined;
  const unit = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'];
  return Math.round(Number(m[1]) * unit);
}

/** Memory the demo needs: every broker's --memory plus headroom for Envoy and the engine. */
export function requiredMemoryBytes(t: Topology): number {
  const perBroker = parseMemory(t.redpanda.memory) ?? 2 ** 30;
  return brokersOf(t).length * perBroker + 512 * 2 ** 20;
}

/** Names of the checks without which the Docker runtime cannot run at all (unlike ports, images, memory). */
const DOCKER_CLI = 'Docker CLI';
const DOCKER_DAEMON = 'Docker daemon';
const COMPOSE = 'Compose v2';

const DOCKER_INSTALL_FIX = 'install Docker Engine (https://docs.docker.com/engine/install/) or Docker Desktop, and put `docker` on PATH';
const COMPOSE_FIX =
  'install the Docker Compose v2 plugin (Debian/Ubuntu with Docker\'s apt repo: `apt-get install docker-compose-plugin`; otherwise https://docs.docker.com/compose/install/linux/); the old Python `docker-compose` v1 is not supported';

function daemonFix(env: NodeJS.ProcessEnv): string {
  if (env.DOCKER_HOST) return `DOCKER_HOST is set to ${env.DOCKER_HOST}: start the daemon there, or unset DOCKER_HOST to use the local one`;
  return 'start the Docker daemon (Linux: `systemctl start docker`, or run `dockerd` as root; macOS/Windows: start Docker Desktop) and make sure your user may use /var/run/docker.sock (the `docker` group)';
}

async function checkCli(env: NodeJS.ProcessEnv): Promise<CheckResult> {
  try {
    const { stdout } = await execa('docker', ['version', '--format', '{{.Client.Version}}'], { env, reject: false, timeout: 15_000 });
    const v = stdout.trim();
    if (v) return { name: DOCKER_CLI, level: 'ok', detail: `docker ${v}` };
  } catch {
    /* not found: below */
  }
  return { name: DOCKER_CLI, level: 'error', detail: '`docker` was not found on PATH', fix: DOCKER_INSTALL_FIX };
}

async function checkDaemon(env: NodeJS.ProcessEnv): Promise<{ result: CheckResult; memTotal?: number }> {
  const docker = dockerClient(env);
  try {
    const info = (await Promise.race([
      docker.info(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 10 s')), 10_000).unref()),
    ])) as { ServerVersion?: string; MemTotal?: number };
    return {
      result: { name: DOCKER_DAEMON, level: 'ok', detail: `Docker Engine ${info.ServerVersion ?? '?'} reachable` },
      memTotal: info.MemTotal,
    };
  } catch (err) {
    const e = err as { code?: string; message?: string };
    const where = env.DOCKER_HOST ?? '/var/run/docker.sock';
    const why = e.code === 'ENOENT' ? 'no socket there' : e.code === 'EACCES' ? 'permission denied' : e.code === 'ECONNREFUSED' ? 'connection refused' : (e.message ?? String(err)).split('\n')[0];
    const fix =
      e.code === 'EACCES'
        ? 'add your user to the `docker` group (then log in again), or use Docker Desktop / rootless Docker'
        : daemonFix(env);
    return { result: { name: DOCKER_DAEMON, level: 'error', detail: `cannot reach the Docker daemon at ${where} (${why})`, fix } };
  }
}

/** Compose version from `docker compose version --short`, or undefined. */
export async function composeVersion(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  try {
    const { stdout, exitCode } = await execa('docker', ['compose', 'version', '--short'], { env, reject: false, timeout: 15_000 });
    const v = stdout.trim();
    return exitCode === 0 && v ? v : undefined;
  } catch {
    return undefined;
  }
}

async function checkCompose(env: NodeJS.ProcessEnv): Promise<CheckResult> {
  const v = await composeVersion(env);
  if (!v) return { name: COMPOSE, level: 'error', detail: '`docker compose` is not available (the Compose v2 CLI plugin is missing)', fix: COMPOSE_FIX };
  const major = Number(/^v?(\d+)/.exec(v)?.[1]);
  if (!(major >= 2)) return { name: COMPOSE, level: 'error', detail: `docker compose ${v} found, but v2 or newer is needed`, fix: COMPOSE_FIX };
  return { name: COMPOSE, level: 'ok', detail: `docker compose ${v}` };
}

async function checkImages(t: Topology, env: NodeJS.ProcessEnv): Promise<CheckResult[]> {
  const docker = dockerClient(env);
  const out: CheckResult[] = [];
  for (const [what, image] of [['Redpanda image', t.redpanda.image], ['Envoy image', t.envoy.image]] as const) {
    try {
      await docker.getImage(image).inspect();
      out.push({ name: what, level: 'ok', detail: `${image} present locally` });
    } catch {
      out.push({
        name: what,
        level: 'warn',
        detail: `${image} is not present locally; \`start\` will pull it`,
        fix: `pull it now with \`docker pull ${image}\` (needs access to its registry), or set ${what === 'Envoy image' ? 'envoy.image' : 'redpanda.image'} in a --config file to an image you have`,
      });
    }
  }
  return out;
}

function checkMemory(t: Topology, memTotal: number | undefined): CheckResult {
  const available = memTotal ?? totalmem();
  const need = requiredMemoryBytes(t);
  const where = memTotal ? 'the Docker engine has' : 'this machine has';
  if (available < need) {
    return {
      name: 'memory',
      level: 'error',
      detail: `${where} ${gib(available)}, the demo needs about ${gib(need)} (${brokersOf(t).length} brokers × ${t.redpanda.memory} + Envoy)`,
      fix: 'give Docker more memory (Docker Desktop: Settings → Resources), or lower redpanda.memory / brokers in a --config file',
    };
  }
  return { name: 'memory', level: 'ok', detail: `${where} ${gib(available)}, the demo needs about ${gib(need)}` };
}

/** Every check, in order. Checks that depend on the daemon are skipped (not run) when it is down. */
export async function dockerPreflight(t: Topology, options: PreflightOptions = {}): Promise<CheckResult[]> {
  const env = options.env ?? process.env;
  const results: CheckResult[] = [];
  const cli = await checkCli(env);
  results.push(cli);
  if (cli.level === 'error') return results;
  const daemon = await checkDaemon(env);
  results.push(daemon.result);
  results.push(await checkCompose(env));
  if (daemon.result.level === 'ok') {
    const running = options.skipPorts ? [] : await projectContainers(dockerClient(env), t.project, { runningOnly: true });
    if (options.skipPorts || running.length > 0) {
      results.push({ name: 'ports', level: 'ok', detail: `held by this demo's ${running.length} running containers (project ${t.project})` });
    } else {
      results.push(...(await checkPorts(dockerPortClaims(t), t.bindAddress)));
    }
    results.push(...(await checkImages(t, env)));
    const replication = replicationImageCheck(t, t.replication.mode === 'shadow' ? await imageEnvOf(t, env) : undefined);
    if (replication) results.push(replication);
  } else if (!options.skipPorts) {
    results.push(...(await checkPorts(dockerPortClaims(t), t.bindAddress)));
  }
  results.push(checkMemory(t, daemon.memTotal));
  return results;
}

/**
 * When Docker itself cannot be used here (its CLI missing, its daemon unreachable, Compose missing): one line
 * saying so and naming `failover-demo start --runtime local`, which runs the demo right now without Docker.
 * Undefined when those checks passed (other failures, e.g. a busy port, are not a reason to switch runtime).
 */
export function localRuntimeNote(results: readonly CheckResult[]): string | undefined {
  const failed = results.filter((r) => r.level === 'error' && [DOCKER_CLI, DOCKER_DAEMON, COMPOSE].includes(r.name)).map((r) => r.name);
  if (failed.length === 0) return undefined;
  return (
    `Docker cannot be used here (${failed.join(', ')} failed). To run the demo right now without Docker: ` +
    '`failover-demo start --runtime local` (real Envoy and Kafka stand-ins for the brokers, as processes on this machine; ' +
    '`failover-demo doctor --runtime local` checks what it needs).'
  );
}

/** One UserError listing every failed check and its fix, then the local-runtime note; nothing when all passed (warnings pass). */
export function preflightError(results: readonly CheckResult[]): UserError | undefined {
  return failedChecksError(results, localRuntimeNote(results));
}
