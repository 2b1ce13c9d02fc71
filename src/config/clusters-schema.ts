/**
 * The schema of the clusters file (`--clusters FILE`): users' own primary and secondary clusters, how
 * Envoy checks each broker, and the Envoy, failover and Kubernetes settings to render for them. Keys the
 * demo's config has (health-check timings, outlier detection, Envoy ports, the failover policy) are the
 * demo's own blocks (./schema.ts), with the same defaults (./clusters.ts fills them in).
 */
import { isIP } from 'node:net';
import { topologyObject } from './schema.js';
import { flag, int, list, oneOf, optional, port, section, text, type TextRule } from './schema-kit.js';

const demo = topologyObject.shape;

/** A host name (RFC 1123 labels) or an IP address. */
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
export const isHost = (v: string): boolean => isIP(v) !== 0 || HOST_NAME.test(v);

/** `host:port`, `[IPv6]:port`: the parts, or undefined. */
export function splitAddress(v: string): { host: string; port: number } | undefined {
  const m = /^\[([0-9A-Fa-f:.]+)\]:(\d{1,5})$/.exec(v) ?? /^([^:[\]]+):(\d{1,5})$/.exec(v);
  if (!m) return undefined;
  const portNumber = Number(m[2]);
  if (!isHost(m[1]!) || portNumber < 1 || portNumber > 65535) return undefined;
  return { host: m[1]!, port: portNumber };
}

const ADDRESS: TextRule = { test: (v) => splitAddress(v) !== undefined, expected: 'expected host:port with a port from 1 to 65535, e.g. "redpanda-0.example.com:9092" or "[fd00::1]:9092"' };
const NAME: TextRule = { test: (v) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(v), expected: 'expected a DNS label: lowercase letters, digits and "-", at most 63' };

export const healthCheckKinds = ['schemaRegistry', 'redpandaAdmin', 'tcp'] as const;
export type HealthCheckKind = (typeof healthCheckKinds)[number];

const kind = oneOf(
  healthCheckKinds,
  "How Envoy checks each broker: schemaRegistry (HTTP GET of the broker's Schema Registry, as the demo), redpandaAdmin (Redpanda's admin API /v1/status/ready, healthy only when it says \"ready\"), tcp (a TCP connect, where nothing else answers).",
);

const tls = section('TLS for the health checks (the Kafka traffic itself is passed through as it is).', {
  enabled: flag('Check over TLS.'),
  sni: text('Server name sent in the TLS handshake (SNI).', { test: isHost, expected: 'expected a host name' }, 'host name'),
  caFile: text(
    "CA certificates (PEM) Envoy verifies the broker's certificate with, as a path where Envoy runs; without it the certificate is not verified.",
    { test: (v) => v.startsWith('/'), expected: 'expected an absolute path such as "/etc/envoy/ca.pem"' },
    'absolute path',
  ),
});

const checkKeys = {
  kind,
  path: text('HTTP path of the check. Default: /schemas/types (schemaRegistry), /v1/status/ready (redpandaAdmin).', {
    test: (v) => v.startsWith('/'),
    expected: 'expected a path starting with "/"',
  }),
  port: port("Port the check probes on each broker's host. Default: 8081 (schemaRegistry), 9644 (redpandaAdmin), the broker's Kafka port (tcp)."),
  tls,
};

const broker = section('a broker', {
  id: int("The broker's Kafka node id (node_id), as the cluster's metadata names it.", 0),
  address: text("host:port of the broker's Kafka listener that Envoy connects to (see the README for which listener, per rewrite strategy).", ADDRESS, 'host:port'),
  directAddress: optional(
    text(
      "host:port of a Kafka listener of this broker that advertises the broker itself, not Envoy: how `drill --clusters` reads each cluster without Envoy (the ledger check). Default: address (right under kafka-filter, where the brokers advertise themselves).",
      ADDRESS,
      'host:port',
    ),
  ),
  healthCheckPort: optional(port("Port this broker's health check probes, where it differs from its cluster's healthCheck.port (several brokers on one host).")),
});

const cluster = section('One Redpanda or Kafka cluster.', {
  brokers: list('Every broker of the cluster; the i-th broker of each cluster sits behind Envoy listener i.', broker),
  healthCheck: section("How Envoy checks this cluster's brokers; overrides the top-level healthCheck.", checkKeys),
});

const { timeoutMs, intervalMs, intervalJitterMs, unhealthyThreshold, healthyThreshold, noTrafficIntervalMs, unhealthyIntervalMs, unhealthyEdgeIntervalMs, healthyEdgeIntervalMs } =
  demo.healthCheck.shape;
const e = demo.envoy.shape;
const f = demo.failover.shape;

/** Every key of the clusters file. */
export const clustersObject = section('the clusters file', {
  name: text('Name of what is rendered: the Compose project, and the Kubernetes ConfigMaps, Deployment and Service.', NAME, 'DNS label'),
  rewrite: demo.rewrite,
  bindAddress: text(
    'Address the listeners bind to (format envoy) or are published on (format compose). Use 0.0.0.0 only if other machines must reach them.',
    { test: (v) => isIP(v) !== 0, expected: 'expected an IP address such as "127.0.0.1" (default) or "0.0.0.0"' },
    'IP address',
  ),
  clusters: section('The two clusters.', { primary: cluster, secondary: cluster }),
  healthCheck: section("Envoy's active health check of each broker: how (for both clusters, unless a cluster says otherwise) and when.", {
    ...checkKeys,
    timeoutMs,
    intervalMs,
    intervalJitterMs,
    unhealthyThreshold,
    healthyThreshold,
    noTrafficIntervalMs,
    unhealthyIntervalMs,
    unhealthyEdgeIntervalMs,
    healthyEdgeIntervalMs,
  }),
  panicThresholdPercent: demo.panicThresholdPercent,
  outlierDetection: demo.outlierDetection,
  envoy: section('The Envoy proxy.', {
    image: e.image,
    adminPort: port('Admin API port.'),
    listenerPort: port('First Kafka listener port; broker position i listens on listenerPort + i.'),
    advertisedHost: e.advertisedHost,
    exposeAdmin: flag(
      "Reach the admin API and the controller's API from other machines (format envoy, compose: on bindAddress) or pods (kubernetes: on the Service). Default false: loopback only (kubectl port-forward reaches it).",
    ),
    closeConnectionsOnHealthFailure: e.closeConnectionsOnHealthFailure,
    concurrency: int("Envoy's worker threads (--concurrency).", 1, 64),
    exactBalance: e.exactBalance,
  }),
  failover: section('How the listeners follow broker failures.', {
    policy: f.policy,
    quorum: f.quorum,
    failback: f.failback,
    failbackHoldMs: f.failbackHoldMs,
    controllerPort: port("The failover controller's API (GET /v1/decision, POST /v1/switch)."),
    controllerImage: text('Image that runs the controller (compose, kubernetes): any image with Node.js ≥ 20 and a shell.', { test: (v) => /^\S+$/.test(v), expected: 'expected a container image reference such as "repo/name:tag"' }),
  }),
  kubernetes: section('format kubernetes.', {
    namespace: text('Namespace of every object; without it, kubectl apply -n decides.', NAME, 'DNS label'),
    serviceType: oneOf(['ClusterIP', 'NodePort', 'LoadBalancer'], "The Service's type."),
  }),
});
