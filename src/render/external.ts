/**
 * What `render --clusters FILE` writes for users' own clusters, per `--format`. Pure: no I/O.
 *
 * Every format has the same Envoy folder (`envoy-proxy/`, deployed at /etc/envoy): envoy.yaml and, under
 * the coherent policy, the failover controller's controller.json and the listener files it swaps. The
 * formats differ in where Envoy's sockets bind and how the controller reaches Envoy's admin API:
 * - `envoy`: Envoy and the controller run on one host; listeners on bindAddress; admin and controller
 *   API on 127.0.0.1 (bindAddress with exposeAdmin).
 * - `compose`: containers; every socket binds 0.0.0.0 inside, published on bindAddress (admin and
 *   controller API on 127.0.0.1 unless exposeAdmin); the controller reaches envoy:adminPort (./external-compose.ts).
 * - `kubernetes`: one pod holding both; admin and controller API on the pod's loopback unless
 *   exposeAdmin (`kubectl port-forward` reaches loopback) (./kubernetes.ts).
 */
import { isIP } from 'node:net';
import type { ExternalSetup } from '../config/clusters.js';
import { CLUSTER_NAMES } from '../config/topology.js';
import { ENVOY_DIR } from './compose.js';
import { buildControllerConfig, CONTROLLER_CONFIG_FILE, LDS_DIR, listenerChoicePath } from './controller.js';
import { ENVOY_DOCKER_HOST, LDS_FILE, renderEnvoyConfig, renderListenerFile } from './envoy.js';
import type { ExternalPlacement } from './envoy-external.js';
import type { RenderedFile } from './files.js';

export const EXTERNAL_FORMATS = ['envoy', 'compose', 'kubernetes'] as const;
export type ExternalFormat = (typeof EXTERNAL_FORMATS)[number];

export interface Placement {
  envoy: ExternalPlacement;
  controller: { adminUrl: string; listen: { address: string; port: number } };
}

const LOOPBACK = '127.0.0.1';
const ANY = '0.0.0.0';

function url(host: string, port: number): string {
  const reachable = host === ANY || host === '::' ? LOOPBACK : host;
  return `http://${isIP(reachable) === 6 ? `[${reachable}]` : reachable}:${port}`;
}

/** Where each socket binds for `format`, and how the controller reaches Envoy's admin API. */
export function placementFor(setup: ExternalSetup, format: ExternalFormat): Placement {
  const t = setup.topology;
  const admin = format === 'compose' ? ANY : setup.exposeAdmin ? (format === 'envoy' ? t.bindAddress : ANY) : LOOPBACK;
  const listen = format === 'envoy' ? t.bindAddress : ANY;
  const adminUrl = format === 'compose' ? `http://${ENVOY_DOCKER_HOST}:${t.envoy.adminPort}` : url(admin, t.envoy.adminPort);
  return { envoy: { listenAddress: listen, adminAddress: admin }, controller: { adminUrl, listen: { address: admin, port: t.failover.controllerPort } } };
}

/** The controller's configuration for users' clusters (coherent policy). */
export function renderExternalControllerConfig(setup: ExternalSetup, format: ExternalFormat): string {
  const config = { ...buildControllerConfig(setup.topology, 'external'), ...placementFor(setup, format).controller };
  return JSON.stringify(config, null, 2) + '\n';
}

/** The Envoy folder's files, relative to it (envoy.yaml, controller.json, lds/…, lds-choices/…). */
export function externalEnvoyFiles(setup: ExternalSetup, format: ExternalFormat, envoyDir = EXTERNAL_ENVOY_DIR): RenderedFile[] {
  const t = setup.topology;
  const opts = { external: { setup, placement: placementFor(setup, format).envoy }, ldsDir: `${envoyDir.replace(/\/+$/, '')}/${LDS_DIR}` };
  const listeners = (c: (typeof CLUSTER_NAMES)[number]) => renderListenerFile(t, 'external', c, opts);
  return [
    { path: 'envoy.yaml', content: renderEnvoyConfig(t, 'external', opts) },
    ...(t.failover.policy === 'coherent'
      ? [
          { path: CONTROLLER_CONFIG_FILE, content: renderExternalControllerConfig(setup, format) },
          // Envoy starts on the primary; the controller replaces this file to switch.
          { path: `${LDS_DIR}/${LDS_FILE}`, content: listeners('primary') },
          ...CLUSTER_NAMES.map((c) => ({ path: listenerChoicePath(c), content: listeners(c) })),
        ]
      : []),
  ];
}

/** The Envoy folder's files under the output folder (envoy-proxy/…). */
export function inEnvoyDir(files: RenderedFile[]): RenderedFile[] {
  return files.map((f) => ({ ...f, path: `${ENVOY_DIR}/${f.path}` }));
}

/** Where the deployed Envoy folder lives (compose mounts envoy-proxy/ there; kubernetes copies its ConfigMap there). */
export const EXTERNAL_ENVOY_DIR = '/etc/envoy';

/** Envoy's command line; coherent: a listener update (the controller's switch) closes its connections at once. */
export function envoyArgs(setup: ExternalSetup): string[] {
  const t = setup.topology;
  const drain = t.failover.policy === 'coherent' ? ['--drain-time-s', '0', '--drain-strategy', 'immediate'] : [];
  return ['envoy', '-c', `${EXTERNAL_ENVOY_DIR}/envoy.yaml`, ...drain, '--concurrency', String(t.envoy.concurrency)];
}

/** The CA files the health checks verify with (each must be where Envoy runs). */
export function caFiles(setup: ExternalSetup): string[] {
  return [...new Set(CLUSTER_NAMES.flatMap((c) => setup.clusters[c].check.tls?.caFile ?? []))];
}

/** A header line for YAML files of users' clusters. */
export function externalHeader(setup: ExternalSetup, what: string): string {
  const t = setup.topology;
  return [
    '# Rendered by `failover-demo render --clusters`; edit the clusters file and re-render instead.',
    `# ${what}.`,
    `# ${t.brokers} broker position(s); rewrite ${t.rewrite}; failover policy ${t.failover.policy}.`,
    '',
    '',
  ].join('\n');
}
