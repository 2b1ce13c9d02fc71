#!/usr/bin/env node
// @ts-check
// Docker engine for the tests: use the running one, or install docker.io (apt) and start dockerd as root.
// `node scripts/docker/engine.mjs start|stop|status`. Idempotent. A dockerd we started is recorded in
// .cache/docker/dockerd.pid so `stop` (the test teardown) stops only that one, never a user's daemon.
import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '#dist/util/wait.js';
import { dockerCacheDir, log, run, runAsMain, secondsSince } from './lib.mjs';

const P = 'docker-engine';

function pidFile(env = process.env) {
  return join(dockerCacheDir(env), 'dockerd.pid');
}

/** True when `docker version` reaches a daemon (DOCKER_HOST or the default socket). */
export async function engineReachable(env = process.env) {
  const r = await run('docker', ['version', '--format', '{{.Server.Version}}'], { check: false, env, timeoutMs: 10_000 });
  return r.code === 0 && r.stdout.trim().length > 0;
}

async function commandExists(/** @type {string} */ cmd) {
  const r = await run('sh', ['-c', 'command -v "$1"', 'sh', cmd], { check: false });
  return r.code === 0;
}

/**
 * apt-get update (once per cache) + apt-get install, as root, only for packages that are missing.
 * @param {readonly string[]} packages
 * @param {readonly string[]} binaries the command each package provides (present = installed)
 */
export async function aptInstall(packages, binaries) {
  /** @type {string[]} */
  const missing = [];
  for (let i = 0; i < packages.length; i++) if (!(await commandExists(binaries[i] ?? ''))) missing.push(packages[i] ?? '');
  if (missing.length === 0) return { installed: [], seconds: 0 };
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error(`${missing.join(', ')} missing and this is not root: install them (apt-get install -y ${missing.join(' ')})`);
  }
  const t0 = Date.now();
  const marker = join(dockerCacheDir(), 'apt-updated');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!existsSync(marker)) {
    log(P, 'apt-get update');
    await run('apt-get', ['update', '-q'], { env });
    writeFileSync(marker, new Date().toISOString() + '\n');
  }
  log(P, `apt-get install -y ${missing.join(' ')}`);
  await run('nice', ['-n', '10', 'apt-get', 'install', '-y', '-q', ...missing], { env });
  log(P, `installed ${missing.join(', ')} in ${secondsSince(t0)} s`);
  return { installed: missing, seconds: Number(secondsSince(t0)) };
}

function ourDaemonPid(env = process.env) {
  const file = pidFile(env);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    rmSync(file, { force: true });
    return undefined;
  }
}

/**
 * Makes sure a Docker engine answers. Returns {startedByUs, pid?, installSeconds, startSeconds}.
 * Never touches a daemon that was already running.
 */
export async function ensureEngine(env = process.env) {
  if (await engineReachable(env)) {
    const pid = ourDaemonPid(env);
    return { startedByUs: pid !== undefined, pid, installSeconds: 0, startSeconds: 0 };
  }
  if (env.DOCKER_HOST) throw new Error(`DOCKER_HOST=${env.DOCKER_HOST} does not answer; unset it to let the tests start a local dockerd`);
  const install = await aptInstall(['docker.io'], ['dockerd']);
  const t0 = Date.now();
  const logFile = join(dockerCacheDir(env), 'dockerd.log');
  log(P, `starting dockerd (log: ${logFile})`);
  const out = openSync(logFile, 'a');
  const child = spawn('dockerd', ['--host=unix:///var/run/docker.sock'], { detached: true, stdio: ['ignore', out, out] });
  /** @type {number | null} */
  let exited = null;
  child.on('exit', (code) => (exited = code));
  child.unref();
  writeFileSync(pidFile(env), `${child.pid}\n`);
  try {
    await waitFor(
      async () => {
        if (exited !== null) throw Object.assign(new Error(`dockerd exited with ${exited}; see ${logFile}`), { fatal: true });
        return engineReachable(env);
      },
      { timeoutMs: 90_000, intervalMs: 300, what: 'dockerd to answer on /var/run/docker.sock' },
    );
  } catch (err) {
    await stopEngine(env).catch(() => {});
    const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-8).join('\n');
    throw new Error(`${/** @type {Error} */ (err).message}\n${tail}`);
  }
  log(P, `dockerd ready in ${secondsSince(t0)} s (pid ${child.pid})`);
  return { startedByUs: true, pid: child.pid, installSeconds: install.seconds, startSeconds: Number(secondsSince(t0)) };
}

/** Stops the dockerd this infrastructure started (if any). A daemon started by someone else stays up. */
export async function stopEngine(env = process.env) {
  const pid = ourDaemonPid(env);
  if (pid === undefined) return { stopped: false };
  process.kill(pid, 'SIGTERM');
  await waitFor(
    () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    },
    { timeoutMs: 60_000, intervalMs: 250, what: `dockerd (pid ${pid}) to exit` },
  );
  rmSync(pidFile(env), { force: true });
  log(P, `stopped dockerd (pid ${pid})`);
  return { stopped: true, pid };
}

await runAsMain(import.meta.url, async () => {
  const cmd = process.argv[2] ?? 'start';
  return cmd === 'start' ? ensureEngine() : cmd === 'stop' ? stopEngine() : { reachable: await engineReachable(), ourPid: ourDaemonPid() };
});
