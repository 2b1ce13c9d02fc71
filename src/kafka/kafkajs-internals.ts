/**
 * The one place that reaches into a kafkajs client's private cluster factory. No imports, so the Redpanda
 * stand-in (its Docker image holds only dist/standin, dist/config and this file) can use it too.
 */

/**
 * kafkajs' internal Cluster object of the last producer/consumer/admin `kafka` creates (undefined before
 * one is created, or if a kafkajs upgrade renames the private factory). Wraps the client's private cluster
 * factory, looked up by its symbol description. Call it before creating the producer/consumer/admin.
 */
export function captureKafkajsCluster<T>(kafka: object): () => T | undefined {
  const target = kafka as unknown as Record<symbol, unknown>;
  const symbol = Object.getOwnPropertySymbols(target).find((s) => s.description === 'private:Kafka:createCluster');
  let cluster: T | undefined;
  if (symbol && typeof target[symbol] === 'function') {
    const create = target[symbol] as (...args: unknown[]) => T;
    target[symbol] = (...args: unknown[]) => {
      cluster = create(...args);
      return cluster;
    };
  }
  return () => cluster;
}
