/**
 * Once per `npm run test:docker`: a Docker engine (installed and started when none runs), Compose v2
 * (built from the Go module proxy when missing) and the stand-in images, all through
 * scripts/docker/ensure.mjs (cached: a second run takes seconds). A dockerd started here is stopped at
 * the end unless FAILOVER_DEMO_KEEP_DOCKER=1.
 */
import { execa } from 'execa';
import type { TestProject } from 'vitest/node';
import { REPO_ROOT, type DockerInfra } from './rig.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { stdout } = await execa('node', ['scripts/docker/ensure.mjs'], { cwd: REPO_ROOT, stderr: 'inherit' });
  const infra = JSON.parse(stdout) as DockerInfra;
  process.stderr.write(`docker test infrastructure: ${JSON.stringify(infra)}\n`);
  project.provide('dockerInfra', infra);
  return async () => {
    if (infra.startedEngine && process.env.FAILOVER_DEMO_KEEP_DOCKER !== '1') {
      await execa('node', ['scripts/docker/engine.mjs', 'stop'], { cwd: REPO_ROOT, stderr: 'inherit' });
    }
  };
}
