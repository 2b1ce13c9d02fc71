/**
 * Every file `failover-demo render` writes, as {path, content} pairs relative to the project folder.
 * Pure: no I/O (see ./write.ts for putting them on disk).
 */
import { brokersOf, type Topology } from '../config/topology.js';
import { brokerConfigDir, ENVOY_CONFIG_PATH, renderCompose } from './compose.js';
import { renderEnvoyConfig } from './envoy.js';
import { renderBootstrapYaml, renderRedpandaYaml } from './redpanda.js';

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
    ...brokersOf(t).flatMap((b) => [
      { path: `${brokerConfigDir(b)}/redpanda.yaml`, content: renderRedpandaYaml(t, b, 'docker') },
      { path: `${brokerConfigDir(b)}/.bootstrap.yaml`, content: bootstrap },
    ]),
  ];
}
