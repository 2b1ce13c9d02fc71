// @ts-check
// The spread rule of bench:clients (./clients-envoy-cost.mjs): when the median of a figure over the
// interleaved (Envoy, direct) pairs means something. Pure, so a unit test covers it.
//   A figure's median means nothing when the middle half of its pair values disagree by more than
//   SPREAD_BOUNDS: third quartile / first quartile of the pair ratios (Envoy / direct). Quartiles, not
//   min–max: one pair hit by another process's burst does not void the run, and more pairs never make
//   the rule stricter. Throughput must agree within 20 %, latency ratios within 50 % (a p99 moves more).

/** @typedef {{ median: number, min: number, max: number, q1: number, q3: number }} Spread */

/** Widest Q3/Q1 of the pair ratios for which a figure's median still means something. */
export const SPREAD_BOUNDS = { throughput: 1.2, latency: 1.5 };
/** @type {('p50' | 'p99' | 'p999')[]} */
export const LATENCY_KEYS = ['p50', 'p99', 'p999'];

/** @type {(n: number, d?: number) => number} */
export const round = (n, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

/** Median, quartiles (nearest rank) and min–max of `xs` (non-empty). @param {number[]} xs @returns {Spread} */
export function spread(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (/** @type {number} */ i) => /** @type {number} */ (s[Math.min(s.length - 1, Math.max(0, i))]);
  const rank = (/** @type {number} */ q) => at(Math.ceil(q * s.length) - 1);
  const mid = s.length % 2 ? at((s.length - 1) / 2) : (at(s.length / 2 - 1) + at(s.length / 2)) / 2;
  return { median: round(mid), min: round(at(0)), max: round(at(s.length - 1)), q1: round(rank(0.25)), q3: round(rank(0.75)) };
}

/**
 * The spread rule: which figures' medians mean nothing, each with why.
 * @param {{ throughput: { ratio: Spread }, atRate: { ratePerSecond: number } & Record<'p50' | 'p99' | 'p999', { ratio: Spread }> }} figures
 * @returns {{ ok: boolean, reasons: string[] }}
 */
export function judge(figures) {
  const rate = figures.atRate.ratePerSecond;
  const checks = [
    { name: 'throughput ratio (Envoy / direct)', s: figures.throughput.ratio, bound: SPREAD_BOUNDS.throughput },
    ...LATENCY_KEYS.map((k) => ({ name: `${k.replace('p999', 'p99.9')} latency ratio at ${rate} msg/s`, s: figures.atRate[k].ratio, bound: SPREAD_BOUNDS.latency })),
  ];
  const reasons = checks
    .filter((c) => !(c.s.q1 > 0 && c.s.q3 / c.s.q1 <= c.bound))
    .map((c) => `${c.name}: the middle half of the pairs ranges ${c.s.q1}–${c.s.q3} (Q3/Q1 ${c.s.q1 > 0 ? round(c.s.q3 / c.s.q1) : '∞'} > ${c.bound}; all pairs ${c.s.min}–${c.s.max})`);
  return { ok: reasons.length === 0, reasons };
}

