/**
 * Envoy's priority load, computed the way Envoy computes it (pure, integer arithmetic as in Envoy).
 *
 * Source: Envoy's `LoadBalancerBase::recalculatePerPriorityState`, `recalculatePerPriorityPanic`,
 * `recalculateLoadInTotalPanic` and `isHostSetInPanic` (source/extensions/load_balancing_policies/common/
 * load_balancer_impl.cc), documented under "Priority levels", "Overprovisioning factor", "Panic threshold",
 * "Degraded endpoints" and "Excluded endpoints" in Envoy's load-balancing architecture overview:
 *
 * - health(P)   = min(100, factor% * healthy(P) / (hosts(P) - excluded(P)))   factor% = 140 by default
 * - degraded(P) = min(100, factor% * degraded(P) / (hosts(P) - excluded(P)))
 * - normalized total availability = min(100, Σ health + Σ degraded)
 * - healthy load is handed out first, highest priority first: min(left, health(P) * 100 / normalized);
 *   what is left goes to degraded hosts the same way; a rounding remainder goes to the first priority
 *   with healthy (else degraded) availability.
 * - panic: a priority is in panic when (healthy + degraded) / (hosts - excluded) < threshold, unless the
 *   normalized availability is 100. A priority in panic load-balances over all its hosts, healthy or not.
 *   When every priority is in panic ("total panic") the load follows host counts, health ignored.
 * - threshold 0 and nothing available: Envoy assigns 100 to P0 but has no host to pick: no upstream.
 */

/** Host counts of one priority level (index = priority). */
export interface PriorityLevel {
  /** All hosts of the level, excluded ones included. */
  hosts: number;
  healthy: number;
  degraded: number;
  /** Hosts left out of the denominators (pending first check, immediate-HC-fail, EDS draining). */
  excluded: number;
}

export interface PriorityLoadOptions {
  /** Envoy's overprovisioning factor as a ratio; default 1.4 (Envoy: 140 percent). */
  overprovisioningFactor?: number;
  /** Envoy's healthy_panic_threshold, percent; default 50 (Envoy's own default). 0 disables panic. */
  panicThresholdPercent?: number;
}

export interface PriorityLoad {
  /** Percent of new connections sent to each priority's healthy hosts (or all its hosts, in panic). */
  healthy: number[];
  /** Percent of new connections sent to each priority's degraded hosts. */
  degraded: number[];
  /** Per-priority health (0..100) after the overprovisioning factor. */
  health: number[];
  /** Per-priority degraded availability (0..100) after the overprovisioning factor. */
  degradedAvailability: number[];
  normalizedTotalAvailability: number;
  /** Priorities in panic mode (they pick from all their hosts, healthy or not). */
  panic: boolean[];
  /** Every priority in panic: load follows host counts. */
  totalPanic: boolean;
  /** Panic disabled and nothing healthy or degraded: Envoy has no host to send a connection to. */
  noUpstream: boolean;
}

export const ENVOY_DEFAULT_OVERPROVISIONING_FACTOR = 1.4;
export const ENVOY_DEFAULT_PANIC_THRESHOLD_PERCENT = 50;

/** Envoy's `distributeLoad`: returns the first priority with availability and the load left over. */
function distributeLoad(load: number[], availability: number[], totalLoad: number, normalized: number): [number, number] {
  let first = -1;
  for (let i = 0; i < availability.length; i++) {
    const a = availability[i]!;
    if (first < 0 && a > 0) first = i;
    load[i] = Math.min(totalLoad, Math.floor((a * 100) / normalized));
    totalLoad -= load[i]!;
  }
  return [first, totalLoad];
}

export function priorityLoad(levelsIn: readonly PriorityLevel[], opts: PriorityLoadOptions = {}): PriorityLoad {
  const levels = levelsIn.length > 0 ? levelsIn : [{ hosts: 0, healthy: 0, degraded: 0, excluded: 0 }];
  const n = levels.length;
  const factorPercent = Math.round((opts.overprovisioningFactor ?? ENVOY_DEFAULT_OVERPROVISIONING_FACTOR) * 100);
  const threshold = Math.min(100, Math.max(0, opts.panicThresholdPercent ?? ENVOY_DEFAULT_PANIC_THRESHOLD_PERCENT));

  const health = new Array<number>(n).fill(0);
  const degradedAvailability = new Array<number>(n).fill(0);
  levels.forEach((l, p) => {
    const count = l.hosts - l.excluded;
    if (count > 0) {
      health[p] = Math.min(100, Math.floor((factorPercent * l.healthy) / count));
      degradedAvailability[p] = Math.min(100, Math.floor((factorPercent * l.degraded) / count));
    }
  });
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const normalized = Math.min(100, sum(health) + sum(degradedAvailability));

  const healthy = new Array<number>(n).fill(0);
  const degraded = new Array<number>(n).fill(0);
  if (normalized > 0) {
    const [firstHealthy, leftForDegraded] = distributeLoad(healthy, health, 100, normalized);
    const [firstDegraded, remainder] = distributeLoad(degraded, degradedAvailability, leftForDegraded, normalized);
    if (remainder !== 0) {
      if (firstHealthy !== -1) healthy[firstHealthy]! += remainder;
      else if (firstDegraded !== -1) degraded[firstDegraded]! += remainder;
    }
  }

  const panic = new Array<boolean>(n).fill(false);
  const base = { health, degradedAvailability, normalizedTotalAvailability: normalized };
  if (threshold === 0 && normalized === 0) {
    healthy[0] = 100;
    return { ...base, healthy, degraded, panic, totalPanic: false, noUpstream: true };
  }

  let totalPanic = true;
  levels.forEach((l, p) => {
    const count = l.hosts - l.excluded;
    const available = count === 0 ? 0 : (100 * l.healthy) / count + (100 * l.degraded) / count;
    panic[p] = normalized === 100 ? false : available < threshold;
    totalPanic &&= panic[p]!;
  });

  if (totalPanic) {
    const totalHosts = sum(levels.map((l) => l.hosts));
    healthy.fill(0);
    degraded.fill(0);
    if (totalHosts === 0) {
      healthy[0] = 100;
    } else {
      let left = 100;
      let firstNonEmpty = -1;
      levels.forEach((l, p) => {
        if (firstNonEmpty === -1 && l.hosts !== 0) firstNonEmpty = p;
        healthy[p] = Math.floor((100 * l.hosts) / totalHosts);
        left -= healthy[p]!;
      });
      healthy[firstNonEmpty]! += left;
    }
  }
  return { ...base, healthy, degraded, panic, totalPanic, noUpstream: false };
}
