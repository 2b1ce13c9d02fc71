/**
 * `render --clusters FILE --format kubernetes`: manifests for Envoy and the failover controller in one
 * pod, in front of users' own clusters. Pure: no I/O.
 *
 * - ConfigMap `<name>-config`: the Envoy folder (./external.ts). Under the coherent policy an init
 *   container copies it into an emptyDir at /etc/envoy, because the controller renames the listener
 *   file there (a ConfigMap volume is read-only); per-broker mounts the ConfigMap itself.
 * - ConfigMap `<name>-controller`: the controller's compiled code (node built-ins only), so the pod
 *   runs on any Node.js image.
 * - Deployment: one replica (one decision maker), `Recreate`; Envoy's probes ask its admin API from
 *   inside the container (it listens on the pod's loopback unless exposeAdmin), the controller's ask /healthz.
 * - Service: one port per listener (plus admin and controller API with exposeAdmin).
 */
import { stringify } from 'yaml';
import type { ExternalSetup } from '../config/clusters.js';
import { envoyHealthcheck, nodeHealthcheck } from './compose.js';
import { CONTROLLER_CONFIG_FILE } from './controller.js';
import { envoyArgs, EXTERNAL_ENVOY_DIR, externalHeader } from './external.js';
import type { RenderedFile } from './files.js';

type Json = Record<string, unknown>;

const labelsOf = (setup: ExternalSetup) => ({ 'app.kubernetes.io/name': setup.name, 'app.kubernetes.io/part-of': 'failover-demo' });

function metadata(setup: ExternalSetup, name: string): Json {
  const ns = setup.kubernetes.namespace;
  return { name, ...(ns ? { namespace: ns } : {}), labels: labelsOf(setup) };
}

/** A ConfigMap holding `files`, and the volume items that lay them out in their folders again. */
function configMap(setup: ExternalSetup, name: string, files: RenderedFile[]): { map: Json; items: Json[] } {
  const keyOf = (path: string) => path.replaceAll('/', '_');
  return {
    map: { apiVersion: 'v1', kind: 'ConfigMap', metadata: metadata(setup, name), data: Object.fromEntries(files.map((f) => [keyOf(f.path), f.content])) },
    items: files.map((f) => ({ key: keyOf(f.path), path: f.path })),
  };
}

const coherent = (setup: ExternalSetup) => setup.topology.failover.policy === 'coherent';
const exec = (healthcheck: Json) => ({ exec: { command: (healthcheck.test as string[]).slice(1) } });

function envoyContainer(setup: ExternalSetup): Json {
  const t = setup.topology;
  const admin = t.envoy.adminPort;
  return {
    name: 'envoy',
    image: t.envoy.image,
    args: envoyArgs(setup),
    ports: [
      ...Array.from({ length: t.brokers }, (_, i) => ({ name: `kafka-${i}`, containerPort: t.envoy.listenerPort + i, protocol: 'TCP' })),
      ...(setup.exposeAdmin ? [{ name: 'admin', containerPort: admin, protocol: 'TCP' }] : []),
    ],
    // Ready once Envoy's /ready says LIVE; alive while its admin API accepts a connection.
    readinessProbe: { ...exec(envoyHealthcheck(t)), periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 3 },
    livenessProbe: { exec: { command: ['bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${admin}`] }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
    volumeMounts: [{ name: 'envoy', mountPath: EXTERNAL_ENVOY_DIR, readOnly: true }],
  };
}

function controllerContainers(setup: ExternalSetup): { init: Json; controller: Json } {
  const t = setup.topology;
  const port = t.failover.controllerPort;
  const probe = exec(nodeHealthcheck(port));
  return {
    init: {
      name: 'envoy-config',
      image: t.failover.controllerImage,
      command: ['sh', '-c', `cp -RL /config/* ${EXTERNAL_ENVOY_DIR}/`],
      volumeMounts: [{ name: 'config', mountPath: '/config', readOnly: true }, { name: 'envoy', mountPath: EXTERNAL_ENVOY_DIR }],
    },
    controller: {
      name: 'controller',
      image: t.failover.controllerImage,
      command: ['node', '/app/dist/controller/main.js', '--config', `${EXTERNAL_ENVOY_DIR}/${CONTROLLER_CONFIG_FILE}`],
      ...(setup.exposeAdmin ? { ports: [{ name: 'controller', containerPort: port, protocol: 'TCP' }] } : {}),
      readinessProbe: { ...probe, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 3 },
      livenessProbe: { ...probe, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
      volumeMounts: [{ name: 'envoy', mountPath: EXTERNAL_ENVOY_DIR }, { name: 'controller-app', mountPath: '/app', readOnly: true }],
    },
  };
}

function deployment(setup: ExternalSetup, configItems: Json[], appItems: Json[]): Json {
  const config = { name: `${setup.name}-config`, items: configItems };
  const { init, controller } = controllerContainers(setup);
  const volumes = coherent(setup)
    ? [{ name: 'config', configMap: config }, { name: 'envoy', emptyDir: {} }, { name: 'controller-app', configMap: { name: `${setup.name}-controller`, items: appItems } }]
    : [{ name: 'envoy', configMap: config }];
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: metadata(setup, setup.name),
    spec: {
      replicas: 1,
      strategy: { type: 'Recreate' },
      selector: { matchLabels: labelsOf(setup) },
      template: {
        metadata: { labels: labelsOf(setup) },
        spec: {
          ...(coherent(setup) ? { initContainers: [init] } : {}),
          containers: [envoyContainer(setup), ...(coherent(setup) ? [controller] : [])],
          volumes,
        },
      },
    },
  };
}

function service(setup: ExternalSetup): Json {
  const t = setup.topology;
  const tcp = (name: string, port: number) => ({ name, port, targetPort: port, protocol: 'TCP' });
  const apis = setup.exposeAdmin ? [tcp('admin', t.envoy.adminPort), ...(coherent(setup) ? [tcp('controller', t.failover.controllerPort)] : [])] : [];
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metadata(setup, setup.name),
    spec: {
      type: setup.kubernetes.serviceType,
      selector: labelsOf(setup),
      ports: [...Array.from({ length: t.brokers }, (_, i) => tcp(`kafka-${i}`, t.envoy.listenerPort + i)), ...apis],
    },
  };
}

/** The manifests, in the order to apply them. `envoyFiles`: the Envoy folder; `controllerApp`: the controller's code. */
export function buildKubernetesManifests(setup: ExternalSetup, envoyFiles: RenderedFile[], controllerApp: RenderedFile[]): Json[] {
  const config = configMap(setup, `${setup.name}-config`, envoyFiles);
  const app = configMap(setup, `${setup.name}-controller`, controllerApp);
  return [config.map, ...(coherent(setup) ? [app.map] : []), deployment(setup, config.items, app.items), service(setup)];
}

export function renderKubernetesManifests(setup: ExternalSetup, envoyFiles: RenderedFile[], controllerApp: RenderedFile[]): string {
  const docs = buildKubernetesManifests(setup, envoyFiles, controllerApp).map((d) => stringify(d, { lineWidth: 0, aliasDuplicateObjects: false }));
  return externalHeader(setup, 'Envoy and the failover controller in one pod; kubectl apply -f this file') + docs.join('---\n');
}
