/**
 * Fixes for two kafkajs 2.2.4 bugs that a failover triggers, applied to kafkajs' own classes (kafkajs is no
 * longer maintained).
 *
 * 1. A consumer that never finishes stopping. A consumer stopped (disconnect) while its fetch manager
 *    rebuilds its fetchers (which it does when the brokers in the metadata change, as they do during a
 *    failover) gets a new set of fetchers that nobody stops. Each loops on Runner.fetch, which returns []
 *    at once for a stopped runner: a microtask loop that never yields, so the process's timers and sockets
 *    starve and disconnect() never returns. Caught in a drill at 100% CPU (the inspector showed
 *    fetcher.js -> Runner.fetch "consumer not running") until its timeout killed it.
 *    Fix: Runner.fetch of a stopped runner throws a retriable error instead. The fetcher ends, the fetch
 *    manager gives up, the runner's retrier finds the runner stopped and finishes, and disconnect()
 *    completes (leaving the group) as it does when stopped at any other time. A running runner is untouched.
 *
 * 2. A producer whose sends to one partition resolve with no acknowledgement, for as long as its leader
 *    stays. BrokerPool.refreshMetadata notes the seed broker's address, then awaits the Metadata response.
 *    If a send meanwhile hits a closed connection (Envoy closes them when it switches), removeBroker drops
 *    that broker and, when it was the seed, makes a random pool broker the seed. The refresh then finds the
 *    noted address in the response (node 0 here), sets the new seed's node id to it and files it under that
 *    node, while the same object stays filed under its own node too: brokers["2"] is an object with node id
 *    0. sendMessages builds a request per broker from partitionsPerLeader[broker.nodeId], so the partitions
 *    node 2 leads go out in an empty request and send() resolves without them. Seen in CI-like runs as
 *    "leader node 2, whose broker object has node id 0" and hundreds of failed sends.
 *    Fix: removeBroker keeps the seed broker it had. The seed is the bootstrap address (Envoy here), which a
 *    failover does not change, and a later refresh files it under the node at that address again.
 */
import { createRequire } from 'node:module';
import kafkajs from 'kafkajs';

const { KafkaJSError } = kafkajs;
const require = createRequire(import.meta.url);

interface RunnerLike {
  running: boolean;
  fetch(nodeId: number): Promise<unknown[]>;
}

interface BrokerPoolLike {
  seedBroker: unknown;
  removeBroker(destination: { host: string; port: number }): void;
}

type RemoveBroker = BrokerPoolLike['removeBroker'];

let applied: boolean | undefined;
let unfixedRemoveBroker: RemoveBroker | undefined;

function load<T>(path: string): T | undefined {
  try {
    return require(path) as T;
  } catch {
    return undefined;
  }
}

/** Installs the fixes once; returns whether they are in place (false if kafkajs' internals are not as expected). */
export function applyKafkajsFixes(): boolean {
  if (applied !== undefined) return applied;
  applied = false;
  const Runner = load<{ prototype: RunnerLike }>('kafkajs/src/consumer/runner.js');
  const BrokerPool = load<{ prototype: BrokerPoolLike }>('kafkajs/src/cluster/brokerPool.js');
  const fetch = Runner?.prototype?.fetch;
  const removeBroker = BrokerPool?.prototype?.removeBroker;
  if (!Runner || !BrokerPool || typeof fetch !== 'function' || typeof removeBroker !== 'function') return applied;

  Runner.prototype.fetch = async function patchedFetch(this: RunnerLike, nodeId: number) {
    if (!this.running) throw new KafkaJSError('consumer stopped while its fetchers were being rebuilt', { retriable: true });
    return fetch.call(this, nodeId);
  };
  unfixedRemoveBroker = removeBroker;
  BrokerPool.prototype.removeBroker = function patchedRemoveBroker(this: BrokerPoolLike, destination) {
    const seed = this.seedBroker;
    removeBroker.call(this, destination);
    this.seedBroker = seed;
  };
  applied = true;
  return applied;
}

/** kafkajs' own BrokerPool.removeBroker, for the test that shows the bug fix 2 is for is real. */
export function kafkajsUnfixedRemoveBroker(): RemoveBroker | undefined {
  applyKafkajsFixes();
  return unfixedRemoveBroker;
}
