/**
 * What an interrupted Docker test run left on the engine. The engine keeps its containers across its own
 * restarts, and `restart: unless-stopped` brings a test demo back up the next time dockerd starts: a CI
 * run once found every test port held and every container name taken by a run killed before it. The
 * global setup removes the test projects' containers, networks and volumes before any test starts, and
 * refuses (naming the fix) when a container of another project holds one of the demo's names.
 */
import type Docker from 'dockerode';
import { projectLeftovers } from '../../src/runtime/docker/engine.js';

/** Every compose project name the Docker tests use (makeTestProject refuses others). */
export const TEST_PROJECTS = ['fdtest', 'fdcrash', 'fdstamp', 'fddoctor', 'fddefault', 'fdreject', 'fdlayoutkf', 'fdlayoutold', 'fdrepl'] as const;

/** The container names every rendered demo uses (container_name in docker-compose.yml). */
const DEMO_NAMES = /^(primary|secondary)-broker-\d+$|^envoy$|^failover-controller$|^replicator$/;

export interface RemovedLeftovers {
  containers: string[];
  networks: string[];
  volumes: string[];
}

/** Removes what earlier test runs left; returns what it removed. */
export async function removeTestLeftovers(docker: Docker): Promise<RemovedLeftovers> {
  const removed: RemovedLeftovers = { containers: [], networks: [], volumes: [] };
  for (const project of TEST_PROJECTS) {
    const left = await projectLeftovers(docker, project);
    for (const name of left.containers) await docker.getContainer(name).remove({ force: true, v: true });
    for (const name of left.networks) await docker.getNetwork(name).remove();
    for (const name of left.volumes) await docker.getVolume(name).remove();
    removed.containers.push(...left.containers);
    removed.networks.push(...left.networks);
    removed.volumes.push(...left.volumes);
  }
  const inTheWay = (await docker.listContainers({ all: true }))
    .map((c) => ({ name: (c.Names[0] ?? '').replace(/^\//, ''), project: c.Labels['com.docker.compose.project'] ?? '(no compose project)' }))
    .filter((c) => DEMO_NAMES.test(c.name));
  if (inTheWay.length > 0) {
    const list = inTheWay.map((c) => `${c.name} (project ${c.project})`).join(', ');
    throw new Error(
      `the Docker tests need the demo's container names, and ${list} hold them: stop that demo (\`failover-demo stop\` in its folder) or point the tests at another engine with DOCKER_HOST`,
    );
  }
  return removed;
}
