/**
 * Client settings chosen for riding through an Envoy failover, each with the reason it has that value.
 * The CLI shows the reasons in --help; the drill engine uses the same defaults.
 */
export interface FailoverSettings {
  /** kafkajs metadataMaxAge. */
  metadataMaxAgeMs: number;
  /** TCP connect timeout per attempt. */
  connectionTimeoutMs: number;
  /** How long one request may wait for its response. */
  requestTimeoutMs: number;
  /** kafkajs retries per operation (send / fetch / join), with exponential backoff. */
  retries: number;
  initialRetryTimeMs: number;
  maxRetryTimeMs: number;
}

export const DEFAULT_FAILOVER_SETTINGS: FailoverSettings = {
  metadataMaxAgeMs: 5_000,
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 10_000,
  retries: 30,
  initialRetryTimeMs: 250,
  maxRetryTimeMs: 2_000,
};

export const SETTING_REASONS: Record<keyof FailoverSettings, string> = {
  metadataMaxAgeMs:
    'kafkajs keeps metadata 5 min by default; after Envoy switches clusters the partition leaders change, so refresh often',
  connectionTimeoutMs:
    'kafkajs default is 1 s; Envoy accepts first and then connects upstream, so allow that hop but fail a dead path quickly',
  requestTimeoutMs:
    'kafkajs default is 30 s; a request stuck on a dead upstream is abandoned sooner, which triggers a metadata refresh and a retry',
  retries:
    'must outlast the health-check detection window (threshold x interval, ~10 s with the defaults) so sends ride through it instead of failing',
  initialRetryTimeMs: 'first backoff; short so the client notices the new cluster soon after Envoy switches',
  maxRetryTimeMs: 'backoff cap; keeps retries frequent during the detection window (kafkajs default 30 s)',
};

/**
 * Why idempotence is off by default: an idempotent producer's id and per-partition sequence numbers are
 * state held by one cluster. After Envoy switches to the independent secondary cluster that state is unknown
 * there (UNKNOWN_PRODUCER_ID / OUT_OF_ORDER_SEQUENCE_NUMBER), and kafkajs 2.2.4 does not re-initialise the
 * producer id (tulios/kafkajs#598): the producer stays broken. kafkajs also forces one request in flight
 * when idempotent. Without it a retry after a lost response can write a message twice: the consumer
 * reports such duplicates from the sequence numbers.
 */
export const IDEMPOTENCE_REASON =
  'off by default: producer ids and sequence numbers live on one cluster and kafkajs 2.2.4 never asks the new one for an id (kafkajs#598), so after a cluster switch the producer lets its sends finish and starts a fresh kafkajs producer there (a pause of one round trip). Duplicates from retries are reported by `consume` instead';

/**
 * The defaults with a client's own values on top: picks the FailoverSettings fields out of `options`
 * (a client's whole options object will do); undefined ones keep their default.
 */
export function resolveSettings(options: object): FailoverSettings {
  return {
    ...DEFAULT_FAILOVER_SETTINGS,
    ...Object.fromEntries(Object.entries(options).filter(([k, v]) => k in DEFAULT_FAILOVER_SETTINGS && v !== undefined)),
  };
}

export function retryOptions(s: FailoverSettings) {
  return { retries: s.retries, initialRetryTime: s.initialRetryTimeMs, maxRetryTime: s.maxRetryTimeMs };
}
