// Types of ./spread-rule.mjs for the unit test (test/unit/bench-spread-rule.test.ts), which the root tsconfig checks without allowJs.
export interface Spread { median: number; min: number; max: number; q1: number; q3: number }
export const SPREAD_BOUNDS: { throughput: number; latency: number };
export const LATENCY_KEYS: ('p50' | 'p99' | 'p999')[];
export function round(n: number, d?: number): number;
export function spread(xs: number[]): Spread;
export function judge(figures: {
  throughput: { ratio: Spread };
  atRate: { ratePerSecond: number } & Record<'p50' | 'p99' | 'p999', { ratio: Spread }>;
}): { ok: boolean; reasons: string[] };
