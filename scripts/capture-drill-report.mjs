#!/usr/bin/env node
// @ts-check
// Captures a real drill report as a unit-test fixture (test/fixtures/drill/report.<scenario>.json), passed or not:
// starts a local demo from a config file in a temporary folder, runs `failover-demo drill --report`, wraps
// report.json with how it was made, stops the demo. Needs `npm run build` and the installs.
//
//   node scripts/capture-drill-report.mjs [--scenario broker-loss] [--config test/fixtures/drill/fast-rig.yaml] [--out FILE]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { PACKAGE_ROOT as root } from '#dist/util/paths.js';
import { runScript } from './lib.mjs';

await runScript(async () => {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string', default: 'broker-loss' },
      config: { type: 'string', default: 'test/fixtures/drill/fast-rig.yaml' },
      out: { type: 'string' },
    },
  });
  const out = values.out ?? join(root, 'test', 'fixtures', 'drill', `report.${values.scenario}.json`);
  const project = mkdtempSync(join(tmpdir(), 'capture-drill-'));
  /** @type {(args: string[], reject?: boolean) => Promise<unknown>} */
  const cli = (args, reject = true) =>
    execa(process.execPath, [join(root, 'bin', 'failover-demo.js'), ...args], {
      env: { FAILOVER_DEMO_DIR: project, NO_COLOR: '1' },
      stdio: ['ignore', 'inherit', 'inherit'],
      reject,
    });
  try {
    await cli(['start', '--runtime', 'local', '--config', resolve(values.config)]);
    // A failed drill still writes its report (and exits 1): capture it all the same.
    await cli(['drill', '--scenario', values.scenario, '--report', join(project, 'report')], false);
    const report = JSON.parse(readFileSync(join(project, 'report', 'report.json'), 'utf8'));
    const capture = {
      command: `npm run build && node scripts/capture-drill-report.mjs --scenario ${values.scenario} --config ${values.config}`,
      description: `failover-demo drill --scenario ${values.scenario} on a local demo started with ${values.config}`,
      capturedAt: new Date().toISOString(),
    };
    writeFileSync(out, JSON.stringify({ capture, report }, null, 2) + '\n');
    console.error(`capture-drill-report: wrote ${out}`);
  } finally {
    await cli(['stop', '--volumes', '--yes']).catch(() => undefined);
    rmSync(project, { recursive: true, force: true });
  }
});
