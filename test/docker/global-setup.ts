/**
 * Once per `npm run test:docker`: a Docker engine (installed and started when none runs), Compose v2
 * (built from the Go module proxy when missing) and the stand-in images, all through
 * scripts/docker/ensure.mjs (cached: a second run takes seconds). A dockerd started here is stopped at
 * the end unless FAILOVER_DEMO_KEEP_DOCKER=1.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import type { TestProject } from 'vitest/node';
import { dockerClient } from '../../src/runtime/docker/engine.js';
import { removeTestLeftovers } from './leftovers.js';
import { REPO_ROOT, TEST_PORT_RANGES, type DockerInfra } from './rig.js';

const RESERVED = '/proc/sys/net/ipv4/ip_local_reserved_ports';

/** Adds the test ports to the kernel's reserved ports (root only); returns the value to restore. */
function reserveTestPorts(): string | undefined {
  try {
    const before = readFileSync(RESERVED, 'utf8').trim();
    writeFileSync(RESERVED, [before, ...TEST_PORT_RANGES].filter(Boolean).join(','));
    return before;
  } catch {
    process.stderr.write(`could not reserve the test ports in ${RESERVED} (not root?): a client's source port may take one\n`);
    return undefined;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { stdout } = await execa('node', ['scripts/docker/ensure.mjs'], { cwd: REPO_ROOT, stderr: 'inherit' });
  const infra = JSON.parse(stdout) as DockerInfra;
  process.stderr.write(`docker test infrastructure: ${JSON.stringify(infra)}\n`);
  project.provide('dockerInfra', infra);
  const removed = await removeTestLeftovers(dockerClient());
  if (removed.containers.length + removed.networks.length + removed.volumes.length > 0) {
    process.stderr.write(`removed what an earlier, interrupted test run left: ${JSON.stringify(removed)}\n`);
  }
  const reservedBefore = reserveTestPorts();
  return async () => {
    if (reservedBefore !== undefined) writeFileSync(RESERVED, reservedBefore || '\n');
    if (infra.startedEngine && process.env.FAILOVER_DEMO_KEEP_DOCKER !== '1') {
      await execa('node', ['scripts/docker/engine.mjs', 'stop'], { cwd: REPO_ROOT, stderr: 'inherit' });
    }
  };
}
