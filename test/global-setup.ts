/**
 * vitest global setup: gives integration rigs a registry folder, and on teardown stops every rig still
 * registered there — a test file that crashed or forgot `rig.stop()` leaves no JVM or Envoy behind.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RIG_REGISTRY_ENV, stopRegisteredRig } from './integration/rig.js';

export default function setup(): () => Promise<void> {
  const registry = mkdtempSync(join(tmpdir(), 'failover-demo-rigs-'));
  process.env[RIG_REGISTRY_ENV] = registry;
  return async () => {
    for (const f of readdirSync(registry)) {
      const project = await stopRegisteredRig(join(registry, f)).catch((err: Error) => `(failed: ${err.message})`);
      if (project) process.stderr.write(`global teardown: stopped a rig left running in ${project}\n`);
    }
    rmSync(registry, { recursive: true, force: true });
  };
}
