/**
 * Measurements from the drill's timelines (pure): how long the routing was in a state, when it first
 * changed or reached a state, acknowledgements by a cluster Envoy no longer routed to, and the part of
 * the routing a report shows.
 */
import type { RoutingSample } from './report-model.js';

/** Total ms the overall routing was `state`, up to `to`. */
export function timeIn(state: string, routing: readonly RoutingSample[], to: number): number {
  let total = 0;
  routing.forEach((s, i) => {
    if (s.activeCluster !== state) return;
    const end = routing[i + 1]?.at ?? to;
    total += Math.max(0, end - s.at);
  });
  return total;
}

/**
 * Acknowledgements by a cluster other than the one every listener had routed to for more than
 * `graceMs` (the routing's overall state `primary`/`secondary`), and still did for `graceMs` after:
 * clients left on the old cluster.
 */
export function acksOnInactiveCluster(acks: readonly { at: number; cluster: string }[], routing: readonly RoutingSample[], graceMs: number): number {
  return inactiveAcks(acks, routing, graceMs).length;
}

/** The acknowledgements acksOnInactiveCluster counts, each with how long after the routing settled it came. */
export function inactiveAcks<A extends { at: number; cluster: string }>(acks: readonly A[], routing: readonly RoutingSample[], graceMs: number): (A & { afterSwitchMs: number })[] {
  const out: (A & { afterSwitchMs: number })[] = [];
  for (const a of acks) {
    if (a.cluster !== 'primary' && a.cluster !== 'secondary') continue;
    const now = routing.filter((x) => x.at <= a.at).at(-1);
    if (!now || (now.activeCluster !== 'primary' && now.activeCluster !== 'secondary') || now.activeCluster === a.cluster) continue;
    // Since when has it been that cluster without a break?
    let since = now.at;
    for (let i = routing.indexOf(now) - 1; i >= 0 && routing[i]!.activeCluster === now.activeCluster; i--) since = routing[i]!.at;
    // The routing is read every poll, so a switch shows up a little after it happened: an ack on the
    // new cluster just before the sample that shows the switch is not left behind. Count it only when
    // the routing stays off its cluster for the grace after it too.
    const switchesSoon = routing.some((x) => x.at > a.at && x.at <= a.at + graceMs && x.activeCluster === a.cluster);
    if (a.at - since > graceMs && !switchesSoon) out.push({ ...a, afterSwitchMs: a.at - since });
  }
  return out;
}

/** First routing sample at or after `from` whose listeners differ from the one in force at `from`. */
export function firstRoutingChange(routing: readonly RoutingSample[], from: number): RoutingSample | undefined {
  let current: RoutingSample | undefined;
  for (const s of routing) {
    if (s.at <= from) current = s;
    else if (!current || s.listeners.join() !== current.listeners.join()) return s;
  }
  return undefined;
}

/** When the routing first satisfies `pred` at or after `from` (`from` itself when the sample in force does). */
export function firstTimeWhen(routing: readonly RoutingSample[], from: number, pred: (s: RoutingSample) => boolean): number | undefined {
  let inForce: RoutingSample | undefined;
  for (const s of routing) {
    if (s.at <= from) {
      inForce = s;
      continue;
    }
    if (inForce) {
      if (pred(inForce)) return from;
      inForce = undefined;
    }
    if (pred(s)) return s.at;
  }
  return inForce && pred(inForce) ? from : undefined;
}

/** When the overall routing is first `state` at or after `from`. */
export function firstTimeIn(routing: readonly RoutingSample[], from: number, state: string): number | undefined {
  return firstTimeWhen(routing, from, (s) => s.activeCluster === state);
}

/** Samples from `from` on; the one in force at `from` starts at `from`. */
export function clipRouting(routing: RoutingSample[], from: number): RoutingSample[] {
  const before = routing.filter((s) => s.at <= from).at(-1);
  return [...(before ? [{ ...before, at: from }] : []), ...routing.filter((s) => s.at > from)];
}
