/**
 * The fine-grained side of the Docker runtime, through the Engine API (dockerode): containers of the
 * compose project, their state and health, stop/start/restart, recent logs.
 */
import { logExcerpt } from '../../util/log-excerpt.js';
import Docker from 'dockerode';

/**
 * A dockerode client for DOCKER_HOST (unix:// or tcp://) from `env`, else the default socket.
 * (dockerode itself only reads process.env; taking `env` keeps doctor testable.)
 */
export function dockerClient(env: NodeJS.ProcessEnv = process.env): Docker {
  const host = env.DOCKER_HOST;
  if (!host) return new Docker({ socketPath: '/var/run/docker.sock' });
  if (host.startsWith('unix://')) return new Docker({ socketPath: host.slice('unix://'.length) });
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  return new Docker({ host: url.hostname, port: Number(url.port || 2375), protocol: 'http' });
}

export interface ContainerSummary {
  id: string;
  name: string;
  service: string;
  running: boolean;
}

/** Containers of a compose project (by Compose's labels), optionally only the running ones. */
export async function projectContainers(docker: Docker, project: string, { runningOnly = false } = {}): Promise<ContainerSummary[]> {
  const list = await docker.listContainers({ all: !runningOnly, filters: { label: [`com.docker.compose.project=${project}`] } });
  return list.map((c) => ({
    id: c.Id,
    name: (c.Names[0] ?? '').replace(/^\//, ''),
    service: c.Labels['com.docker.compose.service'] ?? '',
    running: c.State === 'running',
  }));
}

export type HealthState = 'healthy' | 'unhealthy' | 'starting' | 'none';

export interface ContainerState {
  id: string;
  /** Running now (not while `restarting`). */
  running: boolean;
  /** Docker's status word: created, running, restarting, exited … */
  status: string;
  exitCode: number;
  /** The image's / service's healthcheck verdict; `none` without a healthcheck. */
  health: HealthState;
  /** Epoch ms the current (or last) run started, and the last run ended (0: never). */
  startedAt: number;
  finishedAt: number;
  /** Docker's own copy of the last end, as it reported it (matches a recorded exit to this run). */
  finishedAtText: string;
  /** Restarts by the restart policy since the container was created. */
  restartCount: number;
  /** The last run was killed by the kernel's OOM killer. */
  oomKilled: boolean;
  /** Created with Docker's init at PID 1 (`init: true`). */
  init: boolean;
  /** Its restart policy: no, always, unless-stopped, on-failure. */
  restartPolicy: string;
}

/** Docker's RFC 3339 times → epoch ms; its zero time ("0001-01-01T00:00:00Z") → 0. */
function dockerTime(s: string | undefined): number {
  const ms = s ? Date.parse(s) : NaN;
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

function isNotFound(err: unknown): boolean {
  return (err as { statusCode?: number }).statusCode === 404;
}

/** State of a container by name, or undefined when there is no such container. */
export async function containerState(docker: Docker, name: string): Promise<ContainerState | undefined> {
  try {
    const info = await docker.getContainer(name).inspect();
    return {
      id: info.Id,
      // Docker keeps Running set while the restart policy waits to start the container again.
      running: info.State.Running && !info.State.Restarting,
      status: info.State.Status,
      exitCode: info.State.ExitCode,
      health: ((info.State as { Health?: { Status?: string } }).Health?.Status as HealthState | undefined) ?? 'none',
      startedAt: dockerTime(info.State.StartedAt),
      finishedAt: dockerTime(info.State.FinishedAt),
      finishedAtText: info.State.FinishedAt ?? '',
      restartCount: info.RestartCount ?? 0,
      oomKilled: info.State.OOMKilled === true,
      init: (info.HostConfig as { Init?: boolean | null }).Init === true,
      restartPolicy: info.HostConfig.RestartPolicy?.Name || 'no',
    };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * The lines of a container's recent output (stdout and stderr, the last `lines`) that name its problem
 * (error and critical lines, long lines cut, config dumps left out: ../../util/log-excerpt.ts).
 */
export async function containerLogTail(docker: Docker, name: string, lines = 400): Promise<string> {
  try {
    const buf = (await docker.getContainer(name).logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
    return logExcerpt(demuxLogs(buf)).join('\n');
  } catch {
    return '';
  }
}

/** Docker's multiplexed log stream (8-byte frame headers) → text; plain text passes through. */
export function demuxLogs(buf: Buffer): string {
  const out: string[] = [];
  let i = 0;
  while (i + 8 <= buf.length && (buf[i] === 1 || buf[i] === 2) && buf[i + 1] === 0) {
    const size = buf.readUInt32BE(i + 4);
    out.push(buf.subarray(i + 8, i + 8 + size).toString('utf8'));
    i += 8 + size;
  }
  return i === 0 ? buf.toString('utf8') : out.join('');
}

/** Stops a container (SIGTERM, then SIGKILL after `graceSeconds`); an already stopped one is fine. */
export async function stopContainer(docker: Docker, name: string, graceSeconds = 10): Promise<void> {
  try {
    await docker.getContainer(name).stop({ t: graceSeconds });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 304) throw err; // 304: already stopped
  }
}

/** Starts a container; an already running one is fine. */
export async function startContainer(docker: Docker, name: string): Promise<void> {
  try {
    await docker.getContainer(name).start();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 304) throw err; // 304: already started
  }
}

export async function restartContainer(docker: Docker, name: string, graceSeconds = 10): Promise<void> {
  await docker.getContainer(name).restart({ t: graceSeconds });
}

/**
 * Runs a command in a running container (argument array, no shell); resolves with its exit code and output.
 * `user`: run as this user instead of the container's ("0": root).
 */
export async function execInContainer(docker: Docker, name: string, cmd: string[], timeoutMs = 5_000, user?: string): Promise<{ code: number; output: string }> {
  const exec = await docker.getContainer(name).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, ...(user ? { User: user } : {}) });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error(`\`${cmd.join(' ')}\` in ${name} took longer than ${timeoutMs} ms`));
    }, timeoutMs);
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.once('end', () => (clearTimeout(timer), resolve()));
    stream.once('error', (e) => (clearTimeout(timer), reject(e)));
  });
  const info = await exec.inspect();
  return { code: info.ExitCode ?? -1, output: demuxLogs(Buffer.concat(chunks)) };
}

/** Named volumes and networks of a compose project still present (what `stop` must leave none of). */
export async function projectLeftovers(docker: Docker, project: string): Promise<{ containers: string[]; networks: string[]; volumes: string[] }> {
  const label = `com.docker.compose.project=${project}`;
  const [containers, networks, volumes] = await Promise.all([
    projectContainers(docker, project),
    docker.listNetworks({ filters: { label: [label] } }),
    docker.listVolumes({ filters: { label: [label] } }),
  ]);
  return {
    containers: containers.map((c) => c.name),
    networks: networks.map((n) => n.Name),
    volumes: (volumes.Volumes ?? []).map((v) => v.Name),
  };
}

/**
 * Exit codes of a container's `die` events between two times (epoch ms), oldest first. The engine keeps
 * only its last few hundred events (healthchecks add several per check), so this sees only recent ends.
 */
export async function dieEvents(docker: Docker, containerId: string, sinceMs: number, untilMs: number): Promise<{ at: number; exitCode: number }[]> {
  // Seconds with a fraction (the API takes seconds[.nanoseconds]); an `until` in the future would keep the stream open.
  const stream = (await docker.getEvents({
    since: Math.round(sinceMs) / 1000,
    until: Math.round(Math.min(untilMs, Date.now())) / 1000,
    filters: { type: ['container'], container: [containerId], event: ['die'] },
  })) as unknown as NodeJS.ReadableStream;
  // Bounded like every other wait here: a stream that never ends is cut after 5 s (and rejects).
  const timer = setTimeout(() => (stream as unknown as { destroy(): void }).destroy(), 5_000);
  let text = '';
  try {
    for await (const chunk of stream) text += chunk.toString();
  } finally {
    clearTimeout(timer);
  }
  return text
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as { timeNano?: number; time?: number; Actor?: { Attributes?: Record<string, string> } })
    .map((e) => ({ at: e.timeNano ? Math.round(e.timeNano / 1e6) : (e.time ?? 0) * 1000, exitCode: Number(e.Actor?.Attributes?.exitCode ?? NaN) }))
    .filter((e) => Number.isFinite(e.exitCode));
}
