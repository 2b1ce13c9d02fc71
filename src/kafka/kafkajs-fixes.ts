/**
 * A fix for a kafkajs 2.2.4 consumer bug that a failover triggers, applied to kafkajs' own Runner class.
 *
 * The bug: a consumer stopped (disconnect) while its fetch manager rebuilds its fetchers (which it does when
 * the brokers in the metadata change, as they do during a failover) gets a new set of fetchers that nobody
 * stops. Each loops on Runner.fetch, which returns [] at once for a stopped runner: a microtask loop that
 * never yields, so the process's timers and sockets starve and disconnect() never returns. Caught in a
 * drill at 100% CPU (the inspector showed fetcher.js -> Runner.fetch "consumer not running") until its
 * timeout killed it; kafkajs is no longer maintained.
 *
 * The fix: Runner.fetch of a stopped runner throws a retriable error instead. The fetcher ends, the fetch
 * manager gives up, the runner's retrier finds the runner stopped and finishes, and disconnect() completes
 * (leaving the group) as it does when stopped at any other time. A running runner is untouched.
 */
import { createRequire } from 'node:module';
import kafkajs from 'kafkajs';

const { KafkaJSError } = kafkajs;
const require = createRequire(import.meta.url);

interface RunnerLike {
  running: boolean;
  fetch(nodeId: number): Promise<unknown[]>;
}

let applied: boolean | undefined;

/** Installs the fix once; returns whether it is in place (false if kafkajs' internals are not as expected). */
export function applyKafkajsFixes(): boolean {
  if (applied !== undefined) return applied;
  applied = false;
  let Runner: { prototype: RunnerLike } | undefined;
  try {
    Runner = require('kafkajs/src/consumer/runner.js') as { prototype: RunnerLike };
  } catch {
    return applied;
  }
  const original = Runner?.prototype?.fetch;
  if (typeof original !== 'function') return applied;
  Runner.prototype.fetch = async function patchedFetch(this: RunnerLike, nodeId: number) {
    if (!this.running) throw new KafkaJSError('consumer stopped while its fetchers were being rebuilt', { retriable: true });
    return original.call(this, nodeId);
  };
  applied = true;
  return applied;
}
