/**
 * replication.mode: shadow in the Docker runtime's rendered files: the replicator's compose service (in
 * the Kafka stand-in broker image), its config for the docker target, the controller's hook and fence,
 * the published port, the pre-flight check that the broker image can run it. mode none renders nothing
 * of it (the committed defaults are checked by committed-files.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { brokersOf, defaultTopology, type Topology } from '../../src/config/topology.js';
import { parseConfig } from '../../src/controller/config.js';
import { renderCompose } from '../../src/render/compose.js';
import { FENCED_CHOICE } from '../../src/render/controller.js';
import { renderFiles } from '../../src/render/files.js';
import {
  looksLikeRedpandaImage,
  REPLICATOR_DOCKER_CONFIG,
  REPLICATOR_DOCKER_WORK_DIR,
  STANDIN_KAFKA_LIBS,
  STANDIN_REPLICATOR_ENV,
  STANDIN_REPLICATOR_MAIN,
} from '../../src/render/replicator.js';
import { parseReplicatorConfig } from '../../src/replication/config.js';
import { dockerEndpoints } from '../../src/runtime/docker/index.js';
import { partsOf } from '../../src/runtime/docker/parts.js';
import { dockerPortClaims, replicationImageCheck } from '../../src/runtime/docker/preflight.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

const STANDIN = 'failover-demo/standin-broker:0123456789ab';

function topology(mode: 'none' | 'shadow' = 'shadow', patch: Partial<Topology> = {}): Topology {
  const d = defaultTopology({});
  return { ...d, redpanda: { ...d.redpanda, image: STANDIN }, replication: { ...d.replication, mode }, ...patch };
}
const fileOf = (t: Topology, path: string) => renderFiles(t).find((f) => f.path === path)?.content;

describe('the replicator in docker-compose.yml (replication: shadow)', () => {
  it('runs the replicator of the stand-in image, supervised like the other services, after the brokers are healthy', () => {
    const t = topology();
    const c: Any = parse(renderCompose(t));
    const s = c.services.replicator;
    expect(s).toMatchObject({ image: STANDIN, container_name: 'replicator', hostname: 'replicator', restart: 'unless-stopped', init: true, networks: ['demo'] });
    expect([...s.entrypoint, ...s.command]).toEqual(['node', STANDIN_REPLICATOR_MAIN, '--config', REPLICATOR_DOCKER_CONFIG]);
    expect(s.ports).toEqual([{ host_ip: '127.0.0.1', published: String(t.replication.replicatorPort), target: t.replication.replicatorPort, protocol: 'tcp' }]);
    expect(Object.keys(s.depends_on)).toEqual(brokersOf(t).map((b) => b.name));
    for (const d of Object.values(s.depends_on)) expect(d).toEqual({ condition: 'service_healthy' });
    // State in a named volume (survives a container restart; `stop --volumes` removes it), config read-only.
    expect(s.volumes).toEqual([`replicator-data:${REPLICATOR_DOCKER_WORK_DIR}`, `./envoy-proxy/replicator.json:${REPLICATOR_DOCKER_CONFIG}:ro`]);
    expect(Object.keys(c.volumes)).toContain('replicator-data');
    expect(s.healthcheck.test.join(' ')).toContain(`127.0.0.1:${t.replication.replicatorPort}/healthz`);
  });

  it('writes the replicator config for the docker target and the fence next to the controller listener choices', () => {
    const t = topology();
    const cfg = parseReplicatorConfig(JSON.parse(fileOf(t, 'envoy-proxy/replicator.json')!));
    expect(cfg.listen).toEqual({ address: '0.0.0.0', port: t.replication.replicatorPort });
    expect(cfg.clusters.primary.bootstrap).toEqual(brokersOf(t, 'primary').map((b) => `${b.name}:${t.redpanda.kafkaPort}`));
    expect(cfg.clusters.secondary.bootstrap).toEqual(brokersOf(t, 'secondary').map((b) => `${b.name}:${t.redpanda.kafkaPort}`));
    expect(cfg.kafkaLibs).toBe(STANDIN_KAFKA_LIBS);
    expect(cfg.workDir).toBe(REPLICATOR_DOCKER_WORK_DIR);
    expect(parse(fileOf(t, `envoy-proxy/${FENCED_CHOICE}`)!)).toEqual({ resources: [] });
    const controller = parseConfig(JSON.parse(fileOf(t, 'envoy-proxy/controller.json')!), '/etc/envoy') as Any;
    expect(controller.replication).toMatchObject({ url: `http://replicator:${t.replication.replicatorPort}`, fenced: `/etc/envoy/${FENCED_CHOICE}` });
  });

  it('endpoints, parts and port claims include the replicator', () => {
    const t = topology();
    expect(dockerEndpoints(t).replicatorUrl).toBe(`http://127.0.0.1:${t.replication.replicatorPort}`);
    expect(partsOf(t).map((p) => p.name)).toContain('replicator');
    expect(dockerPortClaims(t).map((c) => c.port)).toContain(t.replication.replicatorPort);
  });

  it('mode none: no replicator service, volume, file, endpoint, part or port', () => {
    const t = topology('none');
    const c: Any = parse(renderCompose(t));
    expect(c.services.replicator).toBeUndefined();
    expect(Object.keys(c.volumes)).not.toContain('replicator-data');
    expect(renderFiles(t).map((f) => f.path).filter((p) => p.includes('replicator') || p.includes('fenced'))).toEqual([]);
    expect(dockerEndpoints(t).replicatorUrl).toBeUndefined();
    expect(partsOf(t).map((p) => p.name)).not.toContain('replicator');
    expect(dockerPortClaims(t).map((c) => c.port)).not.toContain(t.replication.replicatorPort);
  });
});

describe('pre-flight: the broker image must carry the replicator', () => {
  const announced = [`${STANDIN_REPLICATOR_ENV}=${STANDIN_REPLICATOR_MAIN}`, 'KAFKA_LIBS=/opt/kafka/libs'];

  it('passes for the stand-in, and says nothing under mode none', () => {
    expect(replicationImageCheck(topology(), announced)?.level).toBe('ok');
    expect(replicationImageCheck(topology('none'), undefined)).toBeUndefined();
  });

  it('fails for real Redpanda, naming the ways on (mode none, the local runtime, the stand-in) and Shadowing', () => {
    const d = defaultTopology({});
    const t = topology('shadow', { redpanda: d.redpanda });
    expect(looksLikeRedpandaImage(d.redpanda.image)).toBe(true);
    expect(looksLikeRedpandaImage('redpandadata/redpanda:v25.3.1')).toBe(true);
    expect(looksLikeRedpandaImage(STANDIN)).toBe(false);
    const check = replicationImageCheck(t, ['PATH=/usr/bin'])!;
    expect(check.level).toBe('error');
    expect(check.detail).toContain(`${d.redpanda.image} is Redpanda`);
    expect(check.fix).toContain('replication.mode: none');
    expect(check.fix).toContain('--runtime local');
    expect(check.fix).toContain('Redpanda Shadowing');
  });

  it('fails for an image without the replicator, and for one that is not present to check', () => {
    expect(replicationImageCheck(topology(), ['KAFKA_LIBS=/opt/kafka/libs'])?.detail).toContain(`no ${STANDIN_REPLICATOR_ENV}=`);
    expect(replicationImageCheck(topology(), undefined)?.detail).toContain('not present locally');
  });
});
