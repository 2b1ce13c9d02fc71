// Child process for test/unit/kafkajs-fixes.test.ts: drives kafkajs 2.2.4's real consumer Runner and
// FetchManager into "stopped while the fetchers are rebuilt", and prints "stopped" once Runner.stop()
// returns. The consumer group below is a stand-in for the broker side (the race is inside kafkajs).
// Unfixed, the process never gets that far: a microtask loop starves it, so the parent's timeout ends it.
// Usage: node kafkajs-stop-race.mjs fixed|unfixed
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const Runner = require('kafkajs/src/consumer/runner.js');
const InstrumentationEventEmitter = require('kafkajs/src/instrumentation/emitter.js');
const { createLogger, LEVELS } = require('kafkajs/src/loggers/index.js');

if (process.argv[2] === 'fixed') {
  const { applyKafkajsFixes } = await import('../../dist/kafka/kafkajs-fixes.js');
  if (!applyKafkajsFixes()) throw new Error('the fix did not apply');
}

let nodeIds = [1, 2];
let releaseNode2;
const node2Fetching = new Promise((resolve) => (releaseNode2 = resolve));
let node2Started;
const node2Waiting = new Promise((resolve) => (node2Started = resolve));
let rebalanceSeen;
const rebalance = new Promise((resolve) => (rebalanceSeen = resolve));

const consumerGroup = {
  groupId: 'race',
  memberId: 'member',
  async connect() {},
  async joinAndSync() {},
  async leave() {},
  async heartbeat() {},
  async commitOffsetsIfNecessary() {},
  getNodeIds() {
    if (nodeIds.length === 1) rebalanceSeen();
    return nodeIds;
  },
  async fetch(nodeId) {
    if (nodeId === 2) {
      node2Started();
      await node2Fetching; // an in-flight fetch (long poll) on the broker that is leaving
      return [];
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
    return [];
  },
};

const runner = new Runner({
  logger: createLogger({ level: LEVELS.NOTHING, logCreator: () => () => {} }),
  consumerGroup,
  instrumentationEmitter: new InstrumentationEventEmitter(),
  concurrency: 1,
  eachBatch: async () => {},
  heartbeatInterval: 1000,
  onCrash: (e) => console.error('crash', e.message),
  retry: { retries: 5, initialRetryTime: 20, maxRetryTime: 100 },
});

await runner.start();
await node2Waiting;
// Broker 2 leaves the metadata: fetcher 1 notices and the fetch manager stops the set, waiting for
// fetcher 2's in-flight fetch, before it builds a new set.
nodeIds = [1];
await rebalance;
await new Promise((resolve) => setImmediate(resolve));
// The consumer is stopped in that window; then the in-flight fetch returns.
const stopping = runner.stop();
releaseNode2();
await stopping;
console.log('stopped');
