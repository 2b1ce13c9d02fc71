// @ts-check
// Shared helpers of the Docker test infrastructure (engine, Compose v2, stand-in images). Commands run
// through execa; waits use the project's waitFor; paths come from the project (so `npm run build` first,
// as `npm run docker:setup` and `npm run test:docker` do).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { cacheDir, PACKAGE_ROOT } from '#dist/util/paths.js';

export const REPO_ROOT = PACKAGE_ROOT;

/** Everything this infrastructure downloads or builds lives here (git-ignored via .cache/). */
export function dockerCacheDir(env = process.env) {
  const dir = join(cacheDir(env), 'docker');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Progress lines on stderr (CI logs: no spinners). */
export function log(/** @type {string} */ prefix, /** @type {string} */ text) {
  console.error(`${prefix}: ${text}`);
}

/**
 * @typedef {object} RunOptions
 * @property {boolean} [check] reject when the exit code is not 0 (default true)
 * @property {string} [cwd]
 * @property {NodeJS.ProcessEnv} [env] the whole environment (default process.env)
 * @property {number} [timeoutMs] SIGKILL after this long
 */

/**
 * Runs a command (argument array, never a shell string). Resolves with {code, stdout, stderr};
 * rejects only when `check` is set and the exit code is not 0 (or the command could not be started).
 * @param {string} cmd
 * @param {readonly string[]} args
 * @param {RunOptions} [options]
 * @returns {Promise<{ code: number | null, stdout: string, stderr: string }>}
 */
export async function run(cmd, args, { check = true, cwd, env, timeoutMs } = {}) {
  const r = await execa(cmd, args, {
    cwd,
    env: env ?? process.env,
    extendEnv: false,
    stdin: 'ignore',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    reject: false,
    stripFinalNewline: false,
  });
  const stdout = String(r.stdout ?? '');
  const stderr = String(r.stderr ?? '');
  if (r.code !== undefined && !r.timedOut) {
    // Not started at all (not on PATH, not executable).
    if (check) throw Object.assign(new Error(`${cmd} could not be started: ${r.originalMessage}`), { code: 'ENOENT' });
    return { code: -1, stdout, stderr: String(r.originalMessage) };
  }
  const code = r.exitCode ?? null;
  if (check && code !== 0) {
    const tail = (stderr || stdout).trim().split('\n').slice(-15).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} exited with ${code}\n${tail}`);
  }
  return { code, stdout, stderr };
}

/**
 * sha256 over files/folders (paths and contents, sorted), for content-addressed image tags.
 * @param {readonly (string | { label: string, text: string })[]} entries
 */
export function hashInputs(entries) {
  const h = createHash('sha256');
  /** @type {(p: string, label: string) => void} */
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
export function secondsSince(/** @type {number} */ t0) {
  return ((Date.now() - t0) / 1000).toFixed(1);
}

/**
 * When the module at `url` is the script node runs: prints what `main` resolves as one JSON line, or
 * `error: <message>` on stderr and exit code 1.
 * @param {string} url import.meta.url of the script
 * @param {() => Promise<unknown>} main
 */
export async function runAsMain(url, main) {
  if (url !== `file://${process.argv[1]}`) return;
  try {
    console.log(JSON.stringify(await main()));
  } catch (err) {
    console.error(`error: ${/** @type {Error} */ (err).message}`);
    process.exit(1);
  }
}
