/**
 * `drill --clusters FILE`: the game day's runtime (src/runtime/external/) from the clusters file and the
 * flags, after checking what the drill needs before it starts anything: Envoy's admin API answers, and
 * the drill's topic is on both clusters. Each problem is one error naming the fix.
 */
import { createInterface } from 'node:readline/promises';
import { loadClusters } from '../config/clusters.js';
import { CLUSTER_NAMES } from '../config/topology.js';
import { directClient } from '../kafka/client.js';
import { partitionCount } from '../kafka/topic.js';
import { envoyBootstrapOf, ExternalRuntime } from '../runtime/external/index.js';
import { parseStepHook } from '../runtime/external/hooks.js';
import { UserError } from '../util/errors.js';
import { httpOk } from '../util/net.js';
import { adminUrlFor, controllerUrlFor } from './commands/routing.js';

export interface GameDayFlags {
  clusters: string;
  admin?: string;
  bootstrap?: string[];
  stepCmd?: string[];
  topic?: string;
}

/** Asks on the terminal (stderr) and waits for Enter; undefined when there is no terminal to ask. */
function terminalAsk(signal?: AbortSignal): ((question: string) => Promise<void>) | undefined {
  if (!process.stdin.isTTY) return undefined;
  return async (question) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      await rl.question(`\n>>> ${question} `, { signal });
    } finally {
      rl.close();
    }
  };
}

/** Checks that every cluster has the topic, straight at its brokers. */
async function requireTopic(direct: Record<string, string[]>, topic: string): Promise<void> {
  for (const cluster of CLUSTER_NAMES) {
    const admin = directClient(direct[cluster]!, 'failover-demo-gameday').admin();
    try {
      await admin.connect();
      await partitionCount(admin, topic);
    } catch (err) {
      throw new UserError(`the drill's topic "${topic}" is not usable on the ${cluster} cluster (${direct[cluster]!.join(',')}): ${(err as Error).message}`, `create it on both clusters first (e.g. rpk topic create ${topic} -p 3 -r 3), or name another with --topic`);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}

/** The runtime of users' own clusters from the clusters file and the flags; nothing is checked yet. */
export function externalRuntimeOf(flags: Omit<GameDayFlags, 'stepCmd'> & { stepCmd?: string[] }, signal?: AbortSignal): ExternalRuntime {
  const setup = loadClusters(flags.clusters);
  const t = setup.topology;
  const adminUrl = adminUrlFor(flags.admin, t);
  const brokerNames = CLUSTER_NAMES.flatMap((c) => setup.clusters[c].brokers.map((_, i) => `${c}-broker-${i}`));
  const hooks = (flags.stepCmd ?? []).map((text) => parseStepHook(text, brokerNames));
  const controllerUrl = controllerUrlFor(adminUrl, t);
  const bootstrap = flags.bootstrap ?? envoyBootstrapOf(setup);
  return new ExternalRuntime({ setup, adminUrl, ...(controllerUrl ? { controllerUrl } : {}), bootstrap, hooks, topic: flags.topic ?? t.topics[0]!.name, ask: terminalAsk(signal), signal });
}

/** The game day's runtime, once Envoy (and the controller) answer and the topic is on both clusters. */
export async function gameDayRuntime(flags: GameDayFlags, signal?: AbortSignal): Promise<ExternalRuntime> {
  const runtime = externalRuntimeOf(flags, signal);
  const { envoyAdminUrl, controllerUrl, direct } = runtime.endpoints();
  if (!(await httpOk(`${envoyAdminUrl}/ready`, 3_000))) {
    throw new UserError(`Envoy's admin API at ${envoyAdminUrl} does not answer`, 'give the admin URL of the Envoy you deployed from `render --clusters`: --admin http://HOST:PORT (it must be reachable from here)');
  }
  if (controllerUrl && !(await httpOk(`${controllerUrl}/healthz`, 3_000))) {
    throw new UserError(`the failover controller at ${controllerUrl} does not answer (policy coherent)`, 'run the controller `render --clusters` wrote next to Envoy, on failover.controllerPort of the same host');
  }
  await requireTopic(direct, runtime.topology.topics[0]!.name);
  return runtime;
}
