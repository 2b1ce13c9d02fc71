/**
 * `render --clusters`: the Kubernetes manifests checked against the Kubernetes API's JSON schemas for
 * their kinds, the compose file against the Compose Specification's schema. The schemas are committed
 * copies (test/fixtures/schemas/README.md names their sources); ajv validates.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadClusters, type ExternalSetup } from '../../src/config/clusters.js';
import { renderExternalFiles } from '../../src/render/files.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { BASE, EXAMPLE_CLUSTERS, setupFrom } from '../support/clusters.js';

const SCHEMAS = join(PACKAGE_ROOT, 'test', 'fixtures', 'schemas');
const K8S = join(SCHEMAS, 'kubernetes');
const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

/** One validator per kind, the kinds' schemas referring to the shared _definitions.json as they do in the wheel. */
function kubernetesValidators(): Record<string, ValidateFunction> {
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema({ ...json(join(K8S, '_definitions.json')), $id: 'https://kubernetes.io/api/_definitions.json' });
  const kinds = readdirSync(K8S).filter((f) => f.endsWith('.json') && !f.startsWith('_'));
  return Object.fromEntries(
    kinds.map((f) => {
      const schema = json(join(K8S, f));
      const kind = schema['x-kubernetes-group-version-kind'][0].kind as string;
      return [kind, ajv.compile(schema)];
    }),
  );
}

/** Draft 7, which ajv's default class speaks; its `$schema` spells the meta-schema's address with https, which ajv does not know by that name. */
const { $schema: _draft7, ...composeSchema } = json(join(SCHEMAS, 'compose-spec.json'));
const composeValidator = new Ajv({ strict: false, validateFormats: false, allErrors: true }).compile(composeSchema);

const controllerApp = [
  { path: 'package.json', content: '{"type":"module"}\n' },
  { path: 'dist/controller/main.js', content: 'export {};\n' },
];
const setups: [string, () => ExternalSetup][] = [
  ['the example (coherent, TLS)', () => loadClusters(EXAMPLE_CLUSTERS, {})],
  ['per-broker, exposeAdmin, LoadBalancer', () => setupFrom(`${BASE}failover: { policy: per-broker }\nenvoy: { exposeAdmin: true }\nkubernetes: { serviceType: LoadBalancer }\n`)],
  ['coherent, exposeAdmin', () => setupFrom(`${BASE}envoy: { exposeAdmin: true }\n`)],
];

describe('Kubernetes manifests against the Kubernetes API schemas (v1.37)', () => {
  const validators = kubernetesValidators();

  it('the committed schemas cover ConfigMap, Deployment and Service', () => {
    expect(Object.keys(validators).sort()).toEqual(['ConfigMap', 'Deployment', 'Service']);
  });

  it.each(setups)('%s', (_name, setup) => {
    const manifest = renderExternalFiles(setup(), 'kubernetes', controllerApp)[0]!;
    const docs = parseAllDocuments(manifest.content).map((d) => d.toJS() as { kind: string });
    expect(docs.map((d) => d.kind)).toContain('Deployment');
    for (const doc of docs) {
      const validate = validators[doc.kind];
      expect(validate, `no schema for ${doc.kind}`).toBeDefined();
      expect(validate!(doc) ? [] : validate!.errors, `${doc.kind} against its schema`).toEqual([]);
    }
  });

  it('the schemas do reject a broken manifest (a check that cannot fail checks nothing)', () => {
    const [, , deployment] = parseAllDocuments(renderExternalFiles(setups[0]![1](), 'kubernetes', controllerApp)[0]!.content).map((d) => d.toJS());
    deployment.spec.template.spec.containers[0].ports[0].containerPort = 'kafka';
    deployment.spec.replica = 1;
    expect(validators.Deployment!(deployment)).toBe(false);
  });
});

describe('the compose file against the Compose Specification schema', () => {
  it.each(setups)('%s', (_name, setup) => {
    const compose = renderExternalFiles(setup(), 'compose').find((f) => f.path === 'docker-compose.yml')!;
    const doc = parse(compose.content);
    expect(composeValidator(doc) ? [] : composeValidator.errors).toEqual([]);
  });

  it('the schema does reject a broken compose file', () => {
    const doc = parse(renderExternalFiles(setups[0]![1](), 'compose').find((f) => f.path === 'docker-compose.yml')!.content);
    doc.services.envoy.restart = { always: true };
    doc.services.envoy.portz = [];
    expect(composeValidator(doc)).toBe(false);
  });
});
