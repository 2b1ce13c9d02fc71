/** Checks on a drill report's replication section, shared by the local and the Docker replication tests. */
import { expect } from 'vitest';
import type { DrillReport } from '../../src/drill/report.js';

/**
 * The consumer lost nothing across the switches: no gaps, and after each switch it resumed at or before
 * where it had read to, never past it (both topics started empty and the copies keep the offsets,
 * shifted by what the promotion lost); its duplicates within what offset translation explains.
 */
export function expectConsumerResumedWithoutSkipping(report: DrillReport): void {
  const r = report.replication!;
  expect(r.consumerGaps, JSON.stringify(r.resumes)).toBe(0);
  expect(r.resumes.map((x) => `${x.from}->${x.to}`)).toEqual(['primary->secondary', 'secondary->primary']);
  for (const resume of r.resumes) {
    for (const p of resume.partitions) {
      if (p.lastRead === undefined || p.resumedAt === undefined) continue;
      expect(p.resumedAt, JSON.stringify(resume)).toBeLessThanOrEqual(p.lastRead + 1 + r.lostToReplicationLag.length);
    }
  }
  expect(r.consumerDuplicates, JSON.stringify(r.resumes)).toBeLessThanOrEqual(r.duplicatesBound);
}
