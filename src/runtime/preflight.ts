/**
 * What the runtimes' pre-flight checks share (`failover-demo doctor`, and `start` before it touches
 * anything): the check result, the port check, and the one error that lists every failed check with its
 * fix. The checks themselves sit beside each runtime: docker/preflight.ts, local/preflight.ts.
 */
import { UserError } from '../util/errors.js';
import { findPortHolder, portFree, type PortClaim } from './ports.js';

export type CheckLevel = 'ok' | 'warn' | 'error';

export interface CheckResult {
  /** Short name: "Docker daemon", "Compose v2", "port 9092" … */
  name: string;
  level: CheckLevel;
  /** What was found. */
  detail: string;
  /** What to do about it (warn/error only). */
  fix?: string;
}

export interface PreflightOptions {
  env?: NodeJS.ProcessEnv;
  /** Skip the port checks (the demo's own containers/processes hold them, e.g. doctor on a running demo). */
  skipPorts?: boolean;
}

export const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`;

/** One result per taken or doubly configured port, or one `ports` ok. */
export async function checkPorts(claims: readonly PortClaim[], host: string): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const seen = new Map<number, string>();
  for (const c of claims) {
    const other = seen.get(c.port);
    if (other) {
      out.push({ name: `port ${c.port}`, level: 'error', detail: `configured twice: for ${other} and for ${c.purpose}`, fix: 'change envoy.listenerPort / envoy.adminPort / redpanda.directPortBase in the config so they do not overlap' });
      continue;
    }
    seen.set(c.port, c.purpose);
    if (await portFree(c.port, host)) continue;
    const holder = findPortHolder(c.port);
    out.push({
      name: `port ${c.port}`,
      level: 'error',
      detail: `${host}:${c.port} (${c.purpose}) is already in use${holder ? ` by pid ${holder.pid}: ${holder.command}` : ''}`,
      fix: 'stop whatever holds it (a demo already running here: `failover-demo stop`), or move the demo with envoy.listenerPort / envoy.adminPort / redpanda.directPortBase / local.basePort in a --config file',
    });
  }
  if (out.length === 0) out.push({ name: 'ports', level: 'ok', detail: `${seen.size} ports free on ${host}` });
  return out;
}

/** One UserError listing every failed check, its fix, and `note` after them; nothing when all passed (warnings pass). */
export function failedChecksError(results: readonly CheckResult[], note?: string): UserError | undefined {
  const failed = results.filter((r) => r.level === 'error');
  if (failed.length === 0) return undefined;
  const message = [...failed.map((r) => `${r.name}: ${r.detail}`), ...(note ? [note] : [])].join('\n');
  const hint = failed.map((r) => r.fix).filter((f): f is string => Boolean(f)).join('\n');
  return new UserError(message, hint || undefined);
}
