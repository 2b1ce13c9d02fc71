/**
 * `envoy --mode validate` on the configuration a runtime would run, with the Envoy that would run it:
 * the local binary, or a throw-away container of envoy.image. `start` refuses on a rejection before
 * anything runs; `doctor` reports it as a check. See ../envoy/validate.ts.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Topology } from '../config/topology.js';
import { LDS_DIR } from '../render/controller.js';
import { CONTAINER_ENVOY_DIR, envoyConfigToValidate, envoyRejectionHint, validateEnvoyConfigDocker, validateEnvoyConfigLocal, type EnvoyValidation } from '../envoy/validate.js';
import { UserError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { envoyBinaryPath } from '../util/installs.js';
import type { CheckResult } from './preflight.js';
import type { RuntimeKind } from './types.js';

export interface EnvoyCheckOptions {
  /** Folder for the config to validate (kept, so the command in a rejection can be run again). */
  dir: string;
  /** local: the Envoy binary (default: the installed one). */
  envoyBin?: string;
  /** local: the Envoy folder the rendered config names (its listener files). */
  envoyDir?: string;
  /** docker: `docker run --pull` (doctor never pulls). */
  pull?: 'missing' | 'never';
}

export async function validateRuntimeEnvoy(t: Topology, kind: RuntimeKind, o: EnvoyCheckOptions): Promise<EnvoyValidation> {
  const file = join(o.dir, 'envoy.yaml');
  if (kind === 'local') {
    writeFileAtomic(file, envoyConfigToValidate(t, 'local', o.envoyDir ? { ldsDir: join(o.envoyDir, LDS_DIR) } : {}));
    return validateEnvoyConfigLocal(o.envoyBin ?? envoyBinaryPath(), file);
  }
  writeFileAtomic(file, envoyConfigToValidate(t, 'docker'));
  return validateEnvoyConfigDocker(t.envoy.image, o.dir, `${CONTAINER_ENVOY_DIR}/envoy.yaml`, { pull: o.pull ?? 'missing' });
}

/** The rejection as the one-line error `start` gives. */
export function envoyRejection(t: Topology, v: Extract<EnvoyValidation, { ok: false }>): UserError {
  return new UserError(`Envoy rejects its configuration: ${v.cause}`, envoyRejectionHint(v.cause, t, v.command));
}

/** `doctor`'s check: skipped (ok, saying why) when the Envoy to ask is not there yet. */
export async function envoyConfigCheck(t: Topology, kind: RuntimeKind, canRunDocker: boolean): Promise<CheckResult> {
  const name = 'Envoy config';
  if (kind === 'local' && !existsSync(envoyBinaryPath())) return { name, level: 'ok', detail: 'not checked: Envoy is not installed yet (`start` installs it, then checks)' };
  if (kind === 'docker' && !canRunDocker) return { name, level: 'ok', detail: 'not checked: needs the Docker checks above to pass' };
  const dir = mkdtempSync(join(tmpdir(), 'failover-demo-envoy-check-'));
  // mkdtemp makes it 0700: Envoy's images run as their own user, who must read the mounted file.
  chmodSync(dir, 0o755);
  try {
    const v = await validateRuntimeEnvoy(t, kind, { dir, pull: 'never' });
    if (v.ok) return { name, level: 'ok', detail: `${kind === 'docker' ? t.envoy.image : 'the local Envoy'} accepts the rendered configuration (envoy --mode validate)` };
    return { name, level: 'error', detail: `Envoy rejects it: ${v.cause}`, fix: envoyRejectionHint(v.cause, t) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
