/** Clusters files for the tests of `render --clusters`: the committed example, and documents made from YAML text. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { readClustersDocument, type ExternalSetup } from '../../src/config/clusters.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';

export const EXAMPLE_CLUSTERS = join(PACKAGE_ROOT, 'examples', 'clusters.yaml');

/** Two clusters of three brokers, names on the primary and IP addresses on the secondary. */
export const BASE = `
clusters:
  primary:
    brokers:
      - { id: 0, address: "rp-0.east:9093" }
      - { id: 1, address: "rp-1.east:9093" }
      - { id: 2, address: "rp-2.east:9093" }
  secondary:
    brokers:
      - { id: 0, address: "10.0.0.10:9093" }
      - { id: 1, address: "10.0.0.11:9093" }
      - { id: 2, address: "10.0.0.12:9093" }
`;

/** The setup a YAML document gives; fails the test when the document has a problem. */
export function setupFrom(yaml: string): ExternalSetup {
  const { setup, problems } = readClustersDocument(parse(yaml), {});
  if (problems.length > 0) throw new Error(`unexpected problems: ${JSON.stringify(problems)}`);
  return setup;
}

/** The example as a document, with `patch` laid over its top-level keys. */
export function exampleWith(patch: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...(parse(readFileSync(EXAMPLE_CLUSTERS, 'utf8')) as Record<string, unknown>), ...patch };
}
