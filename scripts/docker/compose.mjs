#!/usr/bin/env node
// @ts-check
// Docker Compose v2 for the tests. Not a Debian package here: build it from the Go module proxy
// (github.com/docker/compose/v2, the `cmd` package) and install it as a Docker CLI plugin in
// $DOCKER_CONFIG/cli-plugins (default ~/.docker/cli-plugins). Skipped when `docker compose version`
// already reports v2. `node scripts/docker/compose.mjs` prints {plugin, version, built, seconds}.
import { chmodSync, copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { composeVersion } from '#dist/runtime/docker/preflight.js';
import { dockerCacheDir, log, run, runAsMain, secondsSince } from './lib.mjs';

const P = 'docker-compose';
export const COMPOSE_VERSION = 'v2.40.3';
const MODULE = 'github.com/docker/compose/v2';

export function pluginDir(env = process.env) {
  return join(env.DOCKER_CONFIG || join(homedir(), '.docker'), 'cli-plugins');
}

/** The Compose version `docker compose` reports, or undefined when the plugin is missing (the runtime's own check). */
export { composeVersion };

export async function ensureCompose(env = process.env) {
  const found = await composeVersion(env);
  if (found && /^v?2\./.test(found)) return { plugin: 'present', version: found, built: false, seconds: 0 };
  const t0 = Date.now();
  const cache = dockerCacheDir(env);
  const binary = join(cache, `docker-compose-${COMPOSE_VERSION}`);
  if (!existsSync(binary)) {
    // `go install …@version` refuses this module (its go.mod has exclude directives), so build it
    // inside a copy of the module source fetched from the Go module proxy.
    log(P, `fetching ${MODULE}@${COMPOSE_VERSION} from the Go module proxy`);
    const dl = await run('go', ['mod', 'download', '-json', `${MODULE}@${COMPOSE_VERSION}`], { env: { ...process.env, GOFLAGS: '-mod=mod' } });
    const { Dir } = JSON.parse(dl.stdout);
    const src = join(cache, `compose-src-${COMPOSE_VERSION}`);
    rmSync(src, { recursive: true, force: true });
    await run('cp', ['-r', Dir, src]);
    await run('chmod', ['-R', 'u+w', src]);
    log(P, `building docker-compose ${COMPOSE_VERSION} (go build, nice -n 10; several minutes on 2 cores)`);
    await run(
      'nice',
      ['-n', '10', 'go', 'build', '-trimpath', '-ldflags', `-s -w -X ${MODULE}/internal.Version=${COMPOSE_VERSION}`, '-o', `${binary}.tmp`, './cmd'],
      { cwd: src, env: { ...process.env, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' } },
    );
    renameSync(`${binary}.tmp`, binary);
    rmSync(src, { recursive: true, force: true });
  }
  const dir = pluginDir(env);
  mkdirSync(dir, { recursive: true });
  const target = join(dir, 'docker-compose');
  copyFileSync(binary, `${target}.tmp`);
  chmodSync(`${target}.tmp`, 0o755);
  renameSync(`${target}.tmp`, target);
  const version = await composeVersion(env);
  if (!version) throw new Error(`installed ${target} but \`docker compose version\` still fails`);
  log(P, `docker compose ${version} installed as ${target} in ${secondsSince(t0)} s`);
  return { plugin: target, version, built: true, seconds: Number(secondsSince(t0)) };
}

await runAsMain(import.meta.url, () => ensureCompose());
