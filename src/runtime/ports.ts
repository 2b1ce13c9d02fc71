/**
 * Port pre-flight of both runtimes: every port is checked before anything starts, and a taken port is
 * reported with the process holding it when /proc tells us (Linux). The ports Envoy and the failover
 * controller publish are the same in both runtimes; each runtime adds its brokers' (local/setup.ts,
 * docker/preflight.ts).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Topology } from '../config/topology.js';
import { UserError } from '../util/errors.js';

export interface PortClaim {
  port: number;
  /** What the demo wants it for, e.g. "primary-broker-1 Schema Registry". */
  purpose: string;
}

/**
 * Moves a topology onto its own port range starting at `base`: Envoy's listeners at base+92 (host-facing
 * ones base+192), its admin API base+901, the controller base+902, the local brokers from base+1000, the
 * Docker direct listeners from base+2092. The integration rigs and the benches use it, so they never
 * collide with a demo on the default ports (nor with each other, 3000 ports apart).
 */
export function onPortRange(t: Topology, base: number): Topology {
  t.envoy.listenerPort = base + 92;
  t.envoy.adminPort = base + 901;
  t.envoy.hostListenerPort = base + 192;
  t.redpanda.directPortBase = base + 2092;
  t.local.basePort = base + 1000;
  t.failover.controllerPort = base + 902;
  t.replication.replicatorPort = base + 903;
  return t;
}

/** The host ports of Envoy (admin API, one Kafka listener per broker position) or of the controller (coherent policy). */
export function proxyPortClaims(t: Topology, part: 'envoy' | 'controller' | 'replicator'): PortClaim[] {
  if (part === 'replicator') return t.replication.mode === 'shadow' ? [{ port: t.replication.replicatorPort, purpose: 'replicator status API' }] : [];
  if (part === 'controller') return t.failover.policy === 'coherent' ? [{ port: t.failover.controllerPort, purpose: 'failover controller status API' }] : [];
  const claims: PortClaim[] = [{ port: t.envoy.adminPort, purpose: 'Envoy admin API' }];
  for (let i = 0; i < t.brokers; i++) claims.push({ port: t.envoy.listenerPort + i, purpose: `Envoy Kafka listener ${i}` });
  return claims;
}

/** True when 127.0.0.1:port can be bound right now. */
export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Socket inodes listening on `port` (TCP, IPv4 and IPv6), from /proc/net/tcp*. */
export function listeningInodes(port: number, procNet: string[] = ['/proc/net/tcp', '/proc/net/tcp6']): Set<string> {
  const inodes = new Set<string>();
  for (const file of procNet) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:tm retrnsmt uid timeout inode
      const local = cols[1];
      if (!local || cols[3] !== '0A') continue; // 0A = LISTEN
      const hexPort = local.slice(local.lastIndexOf(':') + 1);
      if (parseInt(hexPort, 16) === port && cols[9]) inodes.add(cols[9]);
    }
  }
  return inodes;
}

export interface PortHolder {
  pid: number;
  command: string;
}

/** The process that listens on `port`, if /proc shows it (needs permission to read its fds). */
export function findPortHolder(port: number): PortHolder | undefined {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return undefined;
  const wanted = new Set([...inodes].map((i) => `socket:[${i}]`));
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (wanted.has(target)) {
        let command = '';
        try {
          command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
        } catch {
          /* gone */
        }
        return { pid: Number(pid), command: command.length > 160 ? command.slice(0, 157) + '…' : command };
      }
    }
  }
  return undefined;
}

/** Throws a UserError naming every taken port (and its holder) before anything is started. */
export async function assertPortsFree(claims: readonly PortClaim[], host = '127.0.0.1'): Promise<void> {
  const seen = new Map<number, string>();
  for (const c of claims) {
    const other = seen.get(c.port);
    if (other) throw new UserError(`port ${c.port} is configured twice: for ${other} and for ${c.purpose}`, 'change local.basePort / envoy ports in the config so they do not overlap');
    seen.set(c.port, c.purpose);
  }
  const taken: string[] = [];
  for (const c of claims) {
    if (await portFree(c.port, host)) continue;
    const holder = findPortHolder(c.port);
    taken.push(`port ${c.port} (${c.purpose}) is already in use` + (holder ? ` by pid ${holder.pid}: ${holder.command}` : ''));
  }
  if (taken.length > 0) {
    throw new UserError(
      taken.join('\n'),
      'stop whatever holds it (or a demo already running: `failover-demo stop`), or move the demo with local.basePort / envoy.listenerPort / envoy.adminPort in a --config file',
    );
  }
}
