// Shared helpers of the Docker test infrastructure (engine, Compose v2, stand-in images).
// Plain Node ESM, no build step: the test rig and CI run these before anything else exists.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Everything this infrastructure downloads or builds lives here (git-ignored via .cache/). */
export function dockerCacheDir(env = process.env) {
  const dir = join(resolve(env.FAILOVER_DEMO_CACHE || join(REPO_ROOT, '.cache')), 'docker');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Progress lines on stderr (CI logs: no spinners). */
export function log(prefix, text) {
  console.error(`${prefix}: ${text}`);
}

/**
 * Runs a command (argument array, never a shell string). Resolves with {code, stdout, stderr};
 * rejects only when `check` is set and the exit code is not 0.
 */
export function run(cmd, args, { check = true, cwd, env, input, timeoutMs, stdio } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd, env: env ?? process.env, stdio: stdio ?? ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr?.on('data', (d) => (stderr += d));
    const timer = timeoutMs ? setTimeout(() => child.kill('SIGKILL'), timeoutMs) : undefined;
    child.on('error', (err) => {
      clearTimeout(timer);
      if (check) reject(Object.assign(new Error(`${cmd} could not be started: ${err.message}`), { code: 'ENOENT' }));
      else resolvePromise({ code: -1, stdout, stderr: String(err.message) });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (check && code !== 0) {
        const tail = (stderr || stdout).trim().split('\n').slice(-15).join('\n');
        reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}\n${tail}`));
      } else resolvePromise({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin.end(input);
    else child.stdin?.end();
  });
}

/** Polls `check` (truthy = done) until `timeoutMs`; no fixed sleeps as synchronisation. */
export async function waitUntil(check, { timeoutMs, intervalMs = 250, what }) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** sha256 over files/folders (paths and contents, sorted), for content-addressed image tags. */
export function hashInputs(entries) {
  const h = createHash('sha256');
  const visit = (p, label) => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) visit(join(p, name), `${label}/${name}`);
    } else {
      h.update(`${label}\0${st.size}\0`);
      h.update(readFileSync(p));
    }
  };
  for (const e of entries) {
    if (typeof e === 'string') visit(e, e.startsWith(REPO_ROOT) ? e.slice(REPO_ROOT.length) : e);
    else h.update(`${e.label}\0${e.text}\0`);
  }
  return h.digest('hex').slice(0, 12);
}

/** Seconds since `t0` with one decimal, for the timing lines. */
export function secondsSince(t0) {
  return ((Date.now() - t0) / 1000).toFixed(1);
}
