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
 *
 * Both fixes replace methods of kafkajs' internal classes, so they hold only for the kafkajs they were
 * written against: package.json pins it (KAFKAJS_FIXES_TARGET). `applyKafkajsFixes` installs them, once
 * per process, and is called explicitly by each entry point that creates Kafka clients: the CLI
 * (src/cli/main.ts), the scripts that drive the runtime, drills or clients in-process (scripts/bench-*.mjs,
 * scripts/capture-envoy-fixtures.mjs) and the test runs (test/support/kafkajs-fixes-setup.ts). Before it
 * touches anything, `checkKafkajsFixable` compares the installed kafkajs (its version, and each method a
 * fix replaces) with that target; any difference is a UserError naming the fix and the versions. A client
 * never runs without the fixes: `createClient` (src/kafka/client.ts) calls `assertKafkajsFixesApplied`,
 * which throws that UserError, or an Error naming the missing call when no entry point made it.
 * (The broker stand-in's Schema Registry client, src/standin/internal-client.ts, imitates Redpanda's own
 * client with plain kafkajs and is left unfixed on purpose.)
 */
import { createRequire } from 'node:module';
import kafkajs from 'kafkajs';
import { UserError } from '../util/errors.js';

const { KafkaJSError } = kafkajs;
const require = createRequire(import.meta.url);

/** The kafkajs version the fixes were written against (and package.json pins). */
export const KAFKAJS_FIXES_TARGET = '2.2.4';

interface RunnerLike {
  running: boolean;
  fetch(nodeId: number): Promise<unknown[]>;
}

interface BrokerPoolLike {
  seedBroker: unknown;
  removeBroker(destination: { host: string; port: number }): void;
}

type RemoveBroker = BrokerPoolLike['removeBroker'];

/** The parts of kafkajs the fixes replace, as loaded (undefined where a module or field is missing). */
export interface KafkajsInternals {
  /** `version` of kafkajs/package.json. */
  version?: string;
  /** kafkajs/src/consumer/runner.js */
  Runner?: { prototype?: Partial<RunnerLike> };
  /** kafkajs/src/cluster/brokerPool.js */
  BrokerPool?: { prototype?: Partial<BrokerPoolLike> };
}

/** The internals once checked: every part the fixes replace is there. */
interface FixableInternals {
  Runner: { prototype: RunnerLike };
  BrokerPool: { prototype: BrokerPoolLike };
}

/** Each fix, the method it replaces and where that lives: for the error that names a fix that cannot be applied. */
const FIXES = [
  {
    name: 'consumer stopped during a fetcher rebuild',
    method: 'Runner.prototype.fetch',
    module: 'kafkajs/src/consumer/runner.js',
    present: (k: KafkajsInternals) => typeof k.Runner?.prototype?.fetch === 'function',
  },
  {
    name: 'producer seed broker kept on removeBroker',
    method: 'BrokerPool.prototype.removeBroker',
    module: 'kafkajs/src/cluster/brokerPool.js',
    present: (k: KafkajsInternals) => typeof k.BrokerPool?.prototype?.removeBroker === 'function',
  },
] as const;

/**
 * Why the fixes cannot be applied to `internals`: a UserError naming each problem (a kafkajs version other
 * than the target, each fix whose method is missing) with the installed and the expected kafkajs version
 * and the way out; undefined when they can be applied. Pure: reads `internals`, changes nothing.
 */
export function checkKafkajsFixable(internals: KafkajsInternals): UserError | undefined {
  const installed = internals.version ?? 'unknown (kafkajs/package.json not readable)';
  const problems: string[] = [];
  if (internals.version !== KAFKAJS_FIXES_TARGET) problems.push('the installed version is not the one the fixes were written for');
  FIXES.forEach((fix, i) => {
    if (!fix.present(internals)) problems.push(`fix ${i + 1} (${fix.name}) needs ${fix.method}, which ${fix.module} lacks`);
  });
  if (problems.length === 0) return undefined;
  return new UserError(
    `cannot apply the kafkajs fixes (installed kafkajs ${installed}, expected ${KAFKAJS_FIXES_TARGET}): ${problems.join('; ')}. Reinstall with \`npm ci\`.`,
    `\`npm ci\` installs kafkajs ${KAFKAJS_FIXES_TARGET} as pinned in package.json and package-lock.json; src/kafka/kafkajs-fixes.ts says what each fix is for`,
  );
}

function load<T>(path: string): T | undefined {
  try {
    return require(path) as T;
  } catch {
    return undefined;
  }
}

/** The installed kafkajs' parts the fixes replace (undefined where a module does not load). */
export function loadKafkajsInternals(): KafkajsInternals {
  return {
    version: load<{ version?: string }>('kafkajs/package.json')?.version,
    Runner: load('kafkajs/src/consumer/runner.js'),
    BrokerPool: load('kafkajs/src/cluster/brokerPool.js'),
  };
}

let outcome: { error?: UserError } | undefined;
let unfixedRemoveBroker: RemoveBroker | undefined;

/**
 * Installs the fixes into the installed kafkajs, once per process; later calls only report that first
 * outcome. Returns true when they are in place, throws the UserError of `checkKafkajsFixable` when the
 * installed kafkajs is not the one they were written for (then nothing is patched).
 */
export function applyKafkajsFixes(): true {
  if (!outcome) {
    const internals = loadKafkajsInternals();
    const error = checkKafkajsFixable(internals);
    if (!error) installKafkajsFixes(internals as FixableInternals);
    outcome = { error };
  }
  if (outcome.error) throw outcome.error;
  return true;
}

/** The two fixes, patched into kafkajs' prototypes; called once, by applyKafkajsFixes, after the check passed. */
function installKafkajsFixes({ Runner, BrokerPool }: FixableInternals): void {
  const fetch = Runner.prototype.fetch;
  Runner.prototype.fetch = async function patchedFetch(this: RunnerLike, nodeId: number) {
    if (!this.running) throw new KafkaJSError('consumer stopped while its fetchers were being rebuilt', { retriable: true });
    return fetch.call(this, nodeId);
  };
  const removeBroker = BrokerPool.prototype.removeBroker;
  unfixedRemoveBroker = removeBroker;
  BrokerPool.prototype.removeBroker = function patchedRemoveBroker(this: BrokerPoolLike, destination) {
    const seed = this.seedBroker;
    removeBroker.call(this, destination);
    this.seedBroker = seed;
  };
}

/**
 * For code about to create a kafkajs client: throws unless applyKafkajsFixes has put the fixes in place in
 * this process (its UserError when they did not fit the installed kafkajs; an Error naming the missing
 * call when no entry point applied them).
 */
export function assertKafkajsFixesApplied(): void {
  if (!outcome) {
    throw new Error(
      `the kafkajs ${KAFKAJS_FIXES_TARGET} fixes are not applied in this process: call applyKafkajsFixes() (src/kafka/kafkajs-fixes.ts) at its entry point, before it creates Kafka clients`,
    );
  }
  if (outcome.error) throw outcome.error;
}

/** kafkajs' own BrokerPool.removeBroker, for the test that shows the bug fix 2 is for is real. */
export function kafkajsUnfixedRemoveBroker(): RemoveBroker | undefined {
  applyKafkajsFixes();
  return unfixedRemoveBroker;
}
