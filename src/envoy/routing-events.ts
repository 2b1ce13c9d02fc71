/**
 * What changed between two routing snapshots: the monitor's event log (host health changes, where each
 * listener now routes, the overall state, the controller's decisions and replication steps, an Envoy
 * restart) and the new connections Envoy opened to each host in between. Pure.
 */
import { envoyRestarted, envoyRestartEvents, type AdminOutage } from './restart.js';
import { listenerLabel } from './routing-snapshot.js';
import type { HostRouting, ListenerRouting, RoutingEvent, RoutingSnapshot } from './routing-types.js';

/**
 * New connections Envoy opened to each host between two snapshots (host|address → count), from cx_total.
 * Hosts without stats, or whose counter went backwards, are left out; after an Envoy restart, all of them.
 */
export function newConnections(prev: RoutingSnapshot | undefined, next: RoutingSnapshot): Map<string, number> {
  const out = new Map<string, number>();
  if (!prev || envoyRestarted(prev, next)) return out;
  const before = new Map<string, number>();
  for (const l of prev.listeners) for (const h of l.hosts) if (h.totalConnections !== undefined) before.set(`${l.name}|${h.host}|${h.address}`, h.totalConnections);
  for (const l of next.listeners) {
    for (const h of l.hosts) {
      const key = `${l.name}|${h.host}|${h.address}`;
      const old = before.get(key);
      if (old !== undefined && h.totalConnections !== undefined && h.totalConnections >= old) out.set(key, h.totalConnections - old);
    }
  }
  return out;
}

const FLAG_TEXT: Record<string, string> = {
  failed_active_hc: 'failed active health check',
  active_hc_timeout: 'health check timed out',
  failed_outlier_check: 'ejected by outlier detection',
  degraded_active_hc: 'degraded (active health check)',
  pending_active_hc: 'waiting for its first health check',
  excluded_via_immediate_hc_fail: 'excluded (immediate health check failure)',
  pending_dynamic_removal: 'pending removal',
  eds_unhealthy: 'EDS status UNHEALTHY',
  eds_draining: 'EDS status DRAINING',
  eds_timeout: 'EDS status TIMEOUT',
  eds_degraded: 'EDS status DEGRADED',
};

/** Why a host is in its state, in words ("failed active health check (timeout)"). */
export function describeHostState(h: Pick<HostRouting, 'health' | 'flags' | 'excluded'>): string {
  const reasons = h.flags.filter((f) => f !== 'active_hc_timeout').map((f) => FLAG_TEXT[f] ?? f);
  if (h.flags.includes('active_hc_timeout')) {
    const i = reasons.indexOf(FLAG_TEXT.failed_active_hc!);
    if (i >= 0) reasons[i] = `${reasons[i]} (timeout)`;
    else reasons.push(FLAG_TEXT.active_hc_timeout!);
  }
  if (reasons.length > 0) return reasons.join(', ');
  return h.health === 'healthy' ? 'healthy' : h.health;
}

function hostChange(prev: HostRouting | undefined, next: HostRouting): string | undefined {
  if (!prev) return `${next.host} added (${describeHostState(next)})`;
  if (prev.health === next.health && prev.excluded === next.excluded && prev.flags.join() === next.flags.join()) return undefined;
  if (next.health === 'healthy' && !next.excluded && next.flags.length === 0) return `${next.host} healthy again`;
  return `${next.host} ${describeHostState(next)}`;
}

function routeText(l: ListenerRouting): string {
  if (l.routesTo === 'none') {
    const spread = Object.entries(l.loadByCluster).map(([c, p]) => `${c} ${Math.round(p)}%`);
    return l.panic && spread.length > 0
      ? `no healthy upstream (panic: Envoy spreads connections over unhealthy hosts: ${spread.join(', ')})`
      : 'no healthy upstream';
  }
  const split = Object.keys(l.loadByCluster).length > 1
    ? ` (${Object.entries(l.loadByCluster).map(([c, p]) => `${c} ${Math.round(p)}%`).join(', ')})`
    : '';
  return `routing to ${l.routesToHost ?? l.routesTo}${split}${l.panic ? ' [panic]' : ''}`;
}

function describeState(s: RoutingSnapshot): string {
  if (s.activeCluster !== 'split') return s.activeCluster;
  const groups = new Map<string, string[]>();
  for (const l of s.listeners) {
    const key = Object.keys(l.loadByCluster).length > 1 ? Object.keys(l.loadByCluster).join('+') : l.routesTo;
    groups.set(key, [...(groups.get(key) ?? []), String(l.index ?? l.name)]);
  }
  return `split (${[...groups].map(([c, ls]) => `${ls.length === 1 ? 'listener' : 'listeners'} ${ls.join(', ')} → ${c}`).join('; ')})`;
}

/**
 * Event-log entries between two snapshots: per listener, host health changes and where it now routes
 * ("listener 0: primary-broker-0 failed active health check → routing to secondary-broker-0"), then the
 * overall state when it changed. The first snapshot (prev undefined) yields one "state" entry. An Envoy
 * restart (or the admin API answering again after `outage`, the failed reads in between) comes first.
 */
export function routingTransitions(prev: RoutingSnapshot | undefined, next: RoutingSnapshot, outage?: AdminOutage): RoutingEvent[] {
  const at = next.at;
  if (!prev) {
    return [{ at, kind: 'state', message: `routing: ${describeState(next)} (${next.listeners.length} listener${next.listeners.length === 1 ? '' : 's'})` }];
  }
  const events: RoutingEvent[] = envoyRestartEvents(prev, next, outage);
  const before = new Map(prev.listeners.map((l) => [l.name, l]));
  for (const l of next.listeners) {
    const label = listenerLabel(l.name);
    const old = before.get(l.name);
    before.delete(l.name);
    if (!old) {
      events.push({ at, kind: 'routing', listener: l.name, message: `${label}: appeared, ${routeText(l)}` });
      continue;
    }
    const oldHosts = new Map(old.hosts.map((h) => [`${h.host}|${h.address}`, h]));
    const changes: string[] = [];
    for (const h of l.hosts) {
      const key = `${h.host}|${h.address}`;
      const change = hostChange(oldHosts.get(key), h);
      oldHosts.delete(key);
      if (change) changes.push(change);
    }
    for (const gone of oldHosts.values()) changes.push(`${gone.host} removed`);
    const routeChanged = old.routesTo !== l.routesTo || old.routesToHost !== l.routesToHost || old.panic !== l.panic ||
      Object.keys(old.loadByCluster).join() !== Object.keys(l.loadByCluster).join();
    if (routeChanged) {
      const cause = changes.length > 0 ? `${changes.join('; ')} → ` : '';
      events.push({ at, kind: 'routing', listener: l.name, message: `${label}: ${cause}${routeText(l)}` });
    } else if (changes.length > 0) {
      events.push({ at, kind: 'host', listener: l.name, message: `${label}: ${changes.join('; ')} (still ${routeText(l)})` });
    }
  }
  for (const gone of before.values()) {
    events.push({ at, kind: 'routing', listener: gone.name, message: `${listenerLabel(gone.name)}: disappeared from Envoy` });
  }
  if (prev.activeCluster !== next.activeCluster) {
    events.push({ at, kind: 'state', message: `routing: ${prev.activeCluster} → ${describeState(next)}` });
  }
  events.push(...controllerTransitions(prev, next));
  return events;
}

/** coherent: the controller's decisions, its going down or coming back, and connections closed by a switch. */
function controllerTransitions(prev: RoutingSnapshot, next: RoutingSnapshot): RoutingEvent[] {
  const at = next.at;
  const events: RoutingEvent[] = [];
  const a = prev.decision;
  const b = next.decision;
  if (a && b && a.reachable !== b.reachable) {
    events.push({ at, kind: 'state', message: b.reachable ? 'failover controller: back' : `failover controller: down (${b.error}); Envoy keeps routing as last decided` });
  }
  // The controller's replication steps (promotion, failback) come before the switch they lead to.
  events.push(...newControllerEvents(prev, next, ['replication']));
  if (a?.reachable && b?.reachable && (a.activeCluster !== b.activeCluster || a.since !== b.since)) {
    events.push({ at, kind: 'state', message: `decision: ${b.activeCluster} — ${b.reason}` });
  }
  for (const [cluster, n] of Object.entries(prev.connectionsByCluster ?? {})) {
    const now = next.connectionsByCluster?.[cluster] ?? 0;
    if (n > 0 && now === 0 && next.policy === 'coherent') events.push({ at, kind: 'state', message: `connections to ${cluster} closed (${n} → 0)` });
  }
  return events;
}

/**
 * The controller's own events of `kinds` that `next` lists and `prev` did not (its last 50 events come
 * with each decision), at the controller's time: with replication, the promotion and the failback's steps
 * ("listeners closed (writers fenced) until the primary has every record"). When `prev` has no list (the
 * controller did not answer), only those since `prev` was read, so an outage does not replay its history.
 */
export function newControllerEvents(prev: RoutingSnapshot, next: RoutingSnapshot, kinds: readonly string[]): RoutingEvent[] {
  const b = next.decision;
  if (!b?.reachable || !b.events) return [];
  const a = prev.decision;
  const key = (e: { at: number; kind: string; reason: string }) => `${e.at}|${e.kind}|${e.reason}`;
  const seen = a?.reachable && a.events ? new Set(a.events.map(key)) : undefined;
  return b.events
    .filter((e) => kinds.includes(e.kind) && (seen ? !seen.has(key(e)) : e.at >= prev.at))
    .map((e) => ({ at: e.at, kind: 'state' as const, message: `${e.kind}: ${e.reason}` }));
}
