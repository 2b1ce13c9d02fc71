/**
 * When did a broker stop, or start, serving? "Serving" is what Envoy's health check sees: the broker's
 * Schema Registry answering 200 on the health-check path. The runtimes probe it around a stop or start,
 * so a drill can measure Envoy from the moment the fault took effect instead of from the command. A
 * container's graceful stop takes seconds, but its Schema Registry stops answering at the stop signal;
 * a started broker serves only once its Schema Registry has its internal topic, after its Kafka API is up.
 */
import { delay, waitFor } from '../util/wait.js';

/** A probe: does the broker's Schema Registry answer 200 right now? Never rejects. */
export type ServingProbe = () => Promise<boolean>;

/**
 * Probes once, then runs `action` (a stop or restart) while probing; resolves the action's result and
 * the time the probe first failed (undefined if the broker was not serving before the action).
 */
export async function watchServingEnd<T>(probe: ServingProbe, action: () => Promise<T>, intervalMs = 100): Promise<{ result: T; endedAt?: number }> {
  const servingBefore = await probe();
  let settled = false;
  const done = action().finally(() => (settled = true));
  done.catch(() => undefined);
  if (!servingBefore) return { result: await done };
  let endedAt: number | undefined;
  while (endedAt === undefined) {
    const at = Date.now();
    if (!(await probe())) endedAt = at;
    else if (settled) break; // still serving after the action: the action did not stop it
    else await delay(intervalMs);
  }
  return { result: await done, ...(endedAt !== undefined ? { endedAt } : {}) };
}

/** Waits until the probe answers; resolves the time it first did. */
export async function waitServing(probe: ServingProbe, what: string, timeoutMs: number, fatal?: () => Promise<Error | undefined>): Promise<number> {
  let at = 0;
  let reason: Error | undefined;
  await waitFor(
    async () => {
      reason = await fatal?.();
      if (reason) return true;
      const t = Date.now();
      if (await probe()) at = t;
      return at > 0;
    },
    { timeoutMs, intervalMs: 100, what },
  );
  if (reason) throw reason;
  return at;
}
