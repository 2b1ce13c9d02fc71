/** The local runtime's fixed facts: ports it binds (per part), endpoints, and the scripts it runs. */
import { join } from 'node:path';
import { brokersOf, localPorts, type ClusterName, type Topology } from '../../config/topology.js';
import { cacheDir, PACKAGE_ROOT } from '../../util/paths.js';
import type { Endpoints } from '../types.js';
import { proxyPortClaims, type PortClaim } from '../ports.js';

/** The ports one part ('envoy', 'controller' or a broker's name) binds, with what they are for. */
export function partPortClaims(t: Topology, part: string): PortClaim[] {
  if (part === 'envoy' || part === 'controller' || part === 'replicator') return proxyPortClaims(t, part);
  const b = brokersOf(t).find((x) => x.name === part);
  if (!b) return [];
  const p = localPorts(t, b);
  return [
    { port: p.client, purpose: `${b.name} Kafka (behind Envoy)` },
    { port: p.direct, purpose: `${b.name} Kafka (direct)` },
    { port: p.rpc, purpose: `${b.name} KRaft controller (rpc_server)` },
    { port: p.replication, purpose: `${b.name} inter-broker replication` },
    { port: p.schemaRegistry, purpose: `${b.name} Schema Registry stand-in` },
  ];
}

/** Names of every part the topology runs: Envoy, the controller (coherent policy), the replicator (replication), each broker. */
export function partNames(t: Topology): string[] {
  return [
    'envoy',
    ...(t.failover.policy === 'coherent' ? ['controller'] : []),
    ...(t.replication.mode === 'shadow' ? ['replicator'] : []),
    ...brokersOf(t).map((b) => b.name),
  ];
}

/** Every port the local runtime binds, with what it is for (`start` and `doctor --runtime local` check these). */
export function localPortClaims(t: Topology): PortClaim[] {
  return partNames(t).flatMap((p) => partPortClaims(t, p));
}

export function localEndpoints(t: Topology): Endpoints {
  const direct = (c: ClusterName) => brokersOf(t, c).map((b) => `127.0.0.1:${localPorts(t, b).direct}`);
  return {
    envoyAdminUrl: `http://127.0.0.1:${t.envoy.adminPort}`,
    ...(t.failover.policy === 'coherent' ? { controllerUrl: `http://127.0.0.1:${t.failover.controllerPort}` } : {}),
    ...(t.replication.mode === 'shadow' ? { replicatorUrl: `http://127.0.0.1:${t.replication.replicatorPort}` } : {}),
    bootstrap: [`127.0.0.1:${t.envoy.listenerPort}`],
    direct: { primary: direct('primary'), secondary: direct('secondary') },
  };
}

/**
 * Class-data-sharing archive of Kafka's classes, shared by every local rig of this checkout (see
 * standin/broker.ts). The JVM checks it matches (else runs without it); after a Java upgrade delete it.
 */
export function kafkaCdsArchive(kafkaVersion: string): string {
  return join(cacheDir(), 'cds', `kafka-${kafkaVersion}.jsa`);
}

/** The compiled stand-in entry point (the local runtime runs it with this Node). */
export function standinScript(): string {
  return join(PACKAGE_ROOT, 'dist', 'standin', 'broker.js');
}
