/**
 * Every file `failover-demo render` writes, as {path, content} pairs relative to the project folder.
 * Pure: no I/O (see ./write.ts for putting them on disk).
 */
import { brokersOf, CLUSTER_NAMES, type Topology } from '../config/topology.js';
import { brokerConfigDir, ENVOY_CONFIG_PATH, ENVOY_DIR, renderCompose } from './compose.js';
import { CONTROLLER_CONFIG_FILE, FENCED_CHOICE, LDS_DIR, listenerChoicePath, renderControllerConfig } from './controller.js';
import { LDS_FILE, renderEnvoyConfig, renderListenerFile } from './envoy.js';
import { renderBootstrapYaml, renderRedpandaYaml } from './redpanda.js';
import type { ExternalSetup } from '../config/clusters.js';
import { externalEnvoyFiles, inEnvoyDir, type ExternalFormat } from './external.js';
import { renderExternalCompose } from './external-compose.js';
import { renderKubernetesManifests } from './kubernetes.js';
import { DOCKER_REPLICATOR_PLACE, REPLICATOR_CONFIG_FILE, renderFencedListenerFile, renderReplicatorConfig } from './replicator.js';

export interface RenderedFile {
  /** Relative to the project folder, with forward slashes. */
  path: string;
  content: string;
}

export const COMPOSE_FILE = 'docker-compose.yml';

/** The Docker runtime's files: compose file, Envoy config, each broker's node and cluster properties. */
export function renderFiles(t: Topology): RenderedFile[] {
  const bootstrap = renderBootstrapYaml(t);
  return [
    { path: COMPOSE_FILE, content: renderCompose(t) },
    { path: ENVOY_CONFIG_PATH, content: renderEnvoyConfig(t, 'docker') },
    ...(t.failover.policy === 'coherent'
      ? [
          { path: `${ENVOY_DIR}/${CONTROLLER_CONFIG_FILE}`, content: renderControllerConfig(t, 'docker') },
          // Envoy starts on the primary; the controller replaces this file to switch.
          { path: `${ENVOY_DIR}/${LDS_DIR}/${LDS_FILE}`, content: renderListenerFile(t, 'docker', 'primary') },
          ...CLUSTER_NAMES.map((c) => ({ path: `${ENVOY_DIR}/${listenerChoicePath(c)}`, content: renderListenerFile(t, 'docker', c) })),
        ]
      : []),
    // replication: shadow (coherent only): the replicator's config, and the controller's fence next to its listener choices.
    ...(t.failover.policy === 'coherent' && t.replication.mode === 'shadow'
      ? [
          { path: `${ENVOY_DIR}/${REPLICATOR_CONFIG_FILE}`, content: renderReplicatorConfig(t, DOCKER_REPLICATOR_PLACE) },
          { path: `${ENVOY_DIR}/${FENCED_CHOICE}`, content: renderFencedListenerFile() },
        ]
      : []),
    ...brokersOf(t).flatMap((b) => [
      { path: `${brokerConfigDir(b)}/redpanda.yaml`, content: renderRedpandaYaml(t, b, 'docker') },
      { path: `${brokerConfigDir(b)}/.bootstrap.yaml`, content: bootstrap },
    ]),
  ];
}

/** Where `render --clusters --format kubernetes` writes its manifests. */
export function kubernetesManifestPath(setup: ExternalSetup): string {
  return `kubernetes/${setup.name}.yaml`;
}

/**
 * What `render --clusters` writes for users' own clusters: the Envoy folder (format envoy), plus a
 * compose file (compose), or Kubernetes manifests holding both (kubernetes, with the controller's code
 * from `controllerApp`).
 */
/** `envoyDir`: where the Envoy folder is deployed (format envoy; compose and kubernetes put it at /etc/envoy). */
export function renderExternalFiles(setup: ExternalSetup, format: ExternalFormat, controllerApp: RenderedFile[] = [], envoyDir?: string): RenderedFile[] {
  const envoyFiles = externalEnvoyFiles(setup, format, format === 'envoy' ? envoyDir : undefined);
  if (format === 'kubernetes') return [{ path: kubernetesManifestPath(setup), content: renderKubernetesManifests(setup, envoyFiles, controllerApp) }];
  return [...inEnvoyDir(envoyFiles), ...(format === 'compose' ? [{ path: COMPOSE_FILE, content: renderExternalCompose(setup) }] : [])];
}
