/**
 * The producer's kafkajs producer, and its renewal after a cluster switch when it is idempotent:
 * producer ids and sequence numbers live on one cluster, and kafkajs never asks the new cluster for an
 * id after a switch (kafkajs#598). So once the client's metadata names another cluster, the caller lets
 * its in-flight sends finish and a fresh kafkajs producer (a fresh producer id there) takes over.
 */
import type { Kafka as KafkaClient, Producer } from 'kafkajs';
import { retryOptions, type FailoverSettings } from './settings.js';

export function createKafkaProducer(client: KafkaClient, settings: FailoverSettings, idempotent: boolean): Producer {
  return client.producer({
    metadataMaxAge: settings.metadataMaxAgeMs,
    allowAutoTopicCreation: false,
    idempotent,
    // kafkajs requires a single request in flight for idempotence
    maxInFlightRequests: idempotent ? 1 : undefined,
    retry: retryOptions(settings),
  });
}

/** Remembers the cluster the current producer got its id from; says when a renewal is due. */
export class ProducerIdCluster {
  private cluster?: string;

  constructor(private readonly idempotent: boolean) {}

  /** True when `now` (the client's current cluster id) is another cluster than the producer id's. */
  switched(now: string | undefined): boolean {
    if (!this.idempotent || now === undefined) return false;
    this.cluster ??= now;
    return now !== this.cluster;
  }

  renewed(now: string): void {
    this.cluster = now;
  }
}
