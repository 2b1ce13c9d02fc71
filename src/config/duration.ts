/**
 * Durations as people write them in the config file ("3s", "500ms", "0.5s", "1m") and as Envoy's
 * proto JSON wants them ("3s", "0.5s"). The topology itself holds milliseconds.
 */

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
type Unit = keyof typeof UNIT_MS;

const DURATION_RE = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)\s*$/;

/** The examples shown whenever a duration is written wrong. */
export const DURATION_EXAMPLES = '"500ms", "3s", "0.5s" or "1m"';

/** Milliseconds of a duration string, or undefined when it is not one (bare numbers are not). */
export function parseDuration(text: string): number | undefined {
  const m = DURATION_RE.exec(text);
  if (!m) return undefined;
  // Round away float noise (1.1 * 1000 = 1100.0000000000002); the topology holds whole milliseconds.
  const ms = Math.round(Number(m[1]) * UNIT_MS[m[2] as Unit] * 1e6) / 1e6;
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** The shortest human form: 3000 → "3s", 500 → "500ms", 1500 → "1.5s", 60000 → "1m". */
export function formatDuration(ms: number): string {
  if (ms !== 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 || ms === 0) return ms === 0 ? '0s' : `${ms / 1000}s`;
  return `${ms}ms`;
}

/** Envoy's proto3 JSON Duration: seconds with a decimal fraction, e.g. "3s", "0.5s". */
export function envoyDuration(ms: number): string {
  return `${ms / 1000}s`;
}
