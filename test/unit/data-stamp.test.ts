/** Which topology made the brokers' data (src/runtime/data-stamp.ts): what counts as a change, and the refusal. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultTopology } from '../../src/config/topology.js';
import { assertDataFits, dataStamp, stampDifferences, writeDataStamp } from '../../src/runtime/data-stamp.js';
import { UserError } from '../../src/util/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'data-stamp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stampDifferences', () => {
  const t = defaultTopology();
  it('the same topology: no difference; health checks and Envoy settings do not touch the data', () => {
    const other = { ...t, healthCheck: { ...t.healthCheck, intervalMs: 1_000 }, rewrite: 'advertised' as const };
    expect(stampDifferences(dataStamp(t, 'local'), dataStamp(other, 'local'))).toEqual([]);
  });
  it('names each change that makes old data unusable', () => {
    expect(stampDifferences(dataStamp(t, 'local'), dataStamp({ ...t, brokers: 1 }, 'local'))).toEqual(['brokers per cluster 3 → 1']);
    expect(stampDifferences(dataStamp(t, 'local'), dataStamp({ ...t, local: { ...t.local, kafkaVersion: '3.8.1' } }, 'local'))).toEqual([
      `Apache Kafka ${t.local.kafkaVersion} (stand-in) → Apache Kafka 3.8.1 (stand-in)`,
    ]);
    expect(stampDifferences(dataStamp(t, 'local'), dataStamp({ ...t, local: { ...t.local, basePort: 40000 } }, 'local'))[0]).toMatch(/^broker addresses \(the controller quorum\) 127\.0\.0\.1:\d+/);
    const image = 'docker.redpanda.com/redpandadata/redpanda:v25.1.1';
    expect(stampDifferences(dataStamp(t, 'docker'), dataStamp({ ...t, redpanda: { ...t.redpanda, image } }, 'docker'))).toEqual([`${t.redpanda.image} → ${image}`]);
  });
});

describe('assertDataFits', () => {
  const t = defaultTopology();
  it('passes for the same topology, refuses another one or an unrecorded one with the fix', () => {
    const file = join(dir, 'stamp.json');
    expect(() => assertDataFits(file, dataStamp(t, 'local'), '/data')).toThrow(/from an earlier run whose configuration was not recorded/);
    writeDataStamp(file, dataStamp(t, 'local'));
    expect(() => assertDataFits(file, dataStamp(t, 'local'), '/data')).not.toThrow();
    try {
      assertDataFits(file, dataStamp({ ...t, brokers: 5 }, 'local'), '/data');
      expect.fail('should refuse');
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      expect((e as UserError).message).toBe("the brokers' data in /data was made by another configuration (brokers per cluster 3 → 5): brokers started on it would wait forever for their old quorum");
      expect((e as UserError).hint).toMatch(/`failover-demo stop --volumes` \(or start with `failover-demo start --fresh`\)/);
    }
  });
});
