/**
 * `render --clusters FILE --format compose`: a compose file with only Envoy and (coherent policy) the
 * failover controller, for users' own clusters. Pure: no I/O. Envoy mounts envoy-proxy/ read-only at
 * /etc/envoy, the CA files of TLS health checks at their own paths; its listeners are published on
 * bindAddress, its admin API and the controller's on 127.0.0.1 unless exposeAdmin. The controller is the
 * demo's service (./compose.ts): its code is mounted from .failover-demo/controller-app, which
 * `render` puts there.
 */
import { stringify } from 'yaml';
import type { ExternalSetup } from '../config/clusters.js';
import { COMPOSE_NETWORK, CONTROLLER_SERVICE, controllerService, ENVOY_DIR, ENVOY_SERVICE, envoyHealthcheck, publish, SUPERVISED } from './compose.js';
import { ENVOY_DOCKER_HOST } from './envoy.js';
import { caFiles, envoyArgs, EXTERNAL_ENVOY_DIR, externalHeader } from './external.js';

/** The topology with the address the admin API and the controller's API are published on. */
function adminPublished(setup: ExternalSetup) {
  const t = setup.topology;
  return { ...t, bindAddress: setup.exposeAdmin ? t.bindAddress : '127.0.0.1' };
}

function envoyService(setup: ExternalSetup): Record<string, unknown> {
  const t = setup.topology;
  const listeners = Array.from({ length: t.brokers }, (_, i) => t.envoy.listenerPort + i);
  return {
    image: t.envoy.image,
    hostname: ENVOY_DOCKER_HOST,
    command: envoyArgs(setup),
    volumes: [`./${ENVOY_DIR}:${EXTERNAL_ENVOY_DIR}:ro`, ...caFiles(setup).map((f) => `${f}:${f}:ro`)],
    ports: [...listeners.map((p) => publish(t, p, p)), publish(adminPublished(setup), t.envoy.adminPort, t.envoy.adminPort)],
    networks: [COMPOSE_NETWORK],
    ...SUPERVISED,
    healthcheck: envoyHealthcheck(t),
  };
}

export function buildExternalCompose(setup: ExternalSetup): Record<string, unknown> {
  const { container_name: _name, ...controller } = controllerService(adminPublished(setup));
  return {
    name: setup.name,
    services: {
      [ENVOY_SERVICE]: envoyService(setup),
      ...(setup.topology.failover.policy === 'coherent' ? { [CONTROLLER_SERVICE]: controller } : {}),
    },
    networks: { [COMPOSE_NETWORK]: { driver: 'bridge' } },
  };
}

export function renderExternalCompose(setup: ExternalSetup): string {
  const published = `listeners on ${setup.topology.bindAddress}, admin and controller API on ${adminPublished(setup).bindAddress}`;
  return externalHeader(setup, `Envoy and the failover controller; ${published}`) + stringify(buildExternalCompose(setup), { lineWidth: 0, aliasDuplicateObjects: false });
}
