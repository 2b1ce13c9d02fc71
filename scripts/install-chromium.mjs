#!/usr/bin/env node
// @ts-check
// Installs Debian's `chromium` (for the dashboard's browser test) if it is missing: apt-get, as root,
// once; idempotent (nothing to do when `chromium` is on PATH). CHROMIUM_BIN points at another browser
// instead. Needs `npm run build` first.
import { aptInstall } from './docker/engine.mjs';
import { runScript } from './lib.mjs';

await runScript(async () => {
  if (process.env.CHROMIUM_BIN) return console.log(`install-chromium: ${process.env.CHROMIUM_BIN} (CHROMIUM_BIN)`);
  const r = await aptInstall(['chromium'], ['chromium']);
  console.log(`install-chromium: ${r.installed.length ? `installed in ${r.seconds} s` : 'chromium already installed'}`);
});
