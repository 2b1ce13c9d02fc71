/**
 * `produce`, `consume` and `verify-ledger`: commander wiring and rendering of ../../kafka/*.
 */
import { Command, Option } from 'commander';
import chalk from 'chalk';
import ora, { type Ora } from 'ora';
import type { ClusterName, Topology } from '../../config/topology.js';
import { FailoverConsumer } from '../../kafka/consumer.js';
import { FailoverProducer } from '../../kafka/producer.js';
import { verifyLedger } from '../../kafka/ledger.js';
import { createTopicOnClusters } from '../../kafka/topic.js';
import {
  parseBrokerList,
  parseInteger,
  parseMs,
  parseRate,
  parseSeconds,
  parseStartPosition,
  parseTopic,
} from '../../kafka/flags.js';
import { consumerLine, consumerSummaryText, ledgerText, producerLine, producerSummaryText } from '../../kafka/format.js';
import { DEFAULT_FAILOVER_SETTINGS, IDEMPOTENCE_REASON, SETTING_REASONS, type FailoverSettings } from '../../kafka/settings.js';
import { UserError } from '../../util/errors.js';
import { currentState, openRuntime, resolveTopology } from '../context.js';
import { returnsExitCode } from '../exit-code.js';
import { onInterrupt, type Interrupt } from '../interrupt.js';

interface CommonFlags {
  topic?: string;
  count?: string;
  duration?: string;
  json?: boolean;
  bootstrap?: string;
  metadataMaxAge?: string;
  requestTimeout?: string;
  connectionTimeout?: string;
  retries?: string;
  retryInitial?: string;
  retryMax?: string;
}

interface ProduceFlags extends CommonFlags {
  rate: string;
  ledger?: string;
  producerId?: string;
  payloadBytes?: string;
  batchSize?: string;
  maxInFlight?: string;
  idempotent?: boolean;
  createTopic?: boolean;
}

interface ConsumeFlags extends CommonFlags {
  group?: string;
  from: string;
  onSwitch: string;
  sessionTimeout?: string;
}

/** Where the clients connect: the running demo's Envoy (or --bootstrap), its clusters' direct addresses, its topology. */
interface Target {
  bootstrap: string[];
  direct: Partial<Record<ClusterName, string[]>>;
  topology?: Topology;
}

function resolveTarget(bootstrapFlag: string | undefined): Target {
  if (bootstrapFlag !== undefined) {
    const bootstrap = parseBrokerList('--bootstrap', bootstrapFlag);
    const state = currentState();
    const direct = state ? openRuntime().endpoints().direct : {};
    return { bootstrap, direct, topology: state?.topology ?? resolveTopology() };
  }
  const runtime = openRuntime();
  const endpoints = runtime.endpoints();
  return { bootstrap: endpoints.bootstrap, direct: endpoints.direct, topology: runtime.topology };
}

function topicOf(flags: CommonFlags, target: Target): string {
  if (flags.topic !== undefined) return parseTopic('--topic', flags.topic);
  const first = target.topology?.topics[0]?.name;
  if (!first) throw new UserError('no topic given and the demo has no topics configured', 'pass --topic NAME');
  return first;
}

function failoverSettings(flags: CommonFlags): Partial<FailoverSettings> {
  return {
    metadataMaxAgeMs: flags.metadataMaxAge === undefined ? undefined : parseMs('--metadata-max-age', flags.metadataMaxAge),
    requestTimeoutMs: flags.requestTimeout === undefined ? undefined : parseMs('--request-timeout', flags.requestTimeout, 100),
    connectionTimeoutMs: flags.connectionTimeout === undefined ? undefined : parseMs('--connection-timeout', flags.connectionTimeout, 100),
    retries: flags.retries === undefined ? undefined : parseInteger('--retries', flags.retries, 0),
    initialRetryTimeMs: flags.retryInitial === undefined ? undefined : parseMs('--retry-initial', flags.retryInitial),
    maxRetryTimeMs: flags.retryMax === undefined ? undefined : parseMs('--retry-max', flags.retryMax),
  };
}

function addFailoverOptions(cmd: Command): Command {
  const d = DEFAULT_FAILOVER_SETTINGS;
  return cmd
    .option('--bootstrap <host:port,...>', 'connect here instead of the running demo\'s Envoy')
    .option('--metadata-max-age <ms>', `metadata refresh period (default ${d.metadataMaxAgeMs}): ${SETTING_REASONS.metadataMaxAgeMs}`)
    .option('--request-timeout <ms>', `per-request timeout (default ${d.requestTimeoutMs}): ${SETTING_REASONS.requestTimeoutMs}`)
    .option('--connection-timeout <ms>', `TCP connect timeout (default ${d.connectionTimeoutMs}): ${SETTING_REASONS.connectionTimeoutMs}`)
    .option('--retries <n>', `retries per operation (default ${d.retries}): ${SETTING_REASONS.retries}`)
    .option('--retry-initial <ms>', `first retry backoff (default ${d.initialRetryTimeMs}): ${SETTING_REASONS.initialRetryTimeMs}`)
    .option('--retry-max <ms>', `retry backoff cap, a.k.a. reconnect backoff (default ${d.maxRetryTimeMs}): ${SETTING_REASONS.maxRetryTimeMs}`);
}

/** Live line: a spinner on a terminal, a plain line every 5 s otherwise, nothing with --json. */
interface LiveView {
  /** The periodic stats line. */
  update(text: string): void;
  /** A state change ("cannot reach Envoy … retrying"): shown at once. */
  status(text: string): void;
  note(text: string): void;
  stop(): void;
}

function liveView(json: boolean): LiveView {
  if (json) return { update() {}, status() {}, note() {}, stop() {} };
  if (process.stdout.isTTY) {
    const spinner: Ora = ora({ text: 'starting', stream: process.stdout }).start();
    return {
      update: (text) => (spinner.text = text),
      status: (text) => (spinner.text = text),
      note: (text) => {
        const current = spinner.text;
        spinner.stopAndPersist({ symbol: chalk.cyan('»'), text });
        spinner.start(current);
      },
      stop: () => spinner.stop(),
    };
  }
  let last = 0;
  let lastStatus = '';
  return {
    status: (text) => {
      if (text === lastStatus) return;
      lastStatus = text;
      process.stdout.write(`${text}\n`);
    },
    update: (text) => {
      if (Date.now() - last < 5_000) return;
      last = Date.now();
      process.stdout.write(`${text}\n`);
    },
    note: (text) => process.stdout.write(`» ${text}\n`),
    stop() {},
  };
}

/** First Ctrl+C (or SIGTERM): graceful stop (flush, summary, exit 0). Second: leave at once. */
function gracefulStop(stop: () => void, live: LiveView): Interrupt {
  return onInterrupt({
    signals: ['SIGINT', 'SIGTERM'],
    onInterrupt: () => {
      live.note('stopping (Ctrl+C again to quit without waiting)');
      stop();
    },
    again: {
      quit: () => {
        live.stop();
        process.stderr.write('interrupted without waiting for in-flight messages\n');
      },
    },
  });
}

const clock = (at: number) => new Date(at).toISOString().slice(11, 23);

async function produce(flags: ProduceFlags): Promise<number> {
  const count = flags.count === undefined ? undefined : parseInteger('--count', flags.count);
  const durationMs = flags.duration === undefined ? undefined : parseSeconds('--duration', flags.duration);
  const ratePerSecond = parseRate('--rate', flags.rate);
  const settings = failoverSettings(flags);
  const target = resolveTarget(flags.bootstrap);
  const topic = topicOf(flags, target);
  const json = flags.json ?? false;

  if (flags.createTopic) {
    const spec = target.topology?.topics.find((t) => t.name === topic) ?? target.topology?.topics[0];
    const result = await createTopicOnClusters(Object.keys(target.direct).length ? target.direct : { primary: target.bootstrap }, {
      topic,
      partitions: spec?.partitions ?? 3,
      replicationFactor: spec?.replicationFactor ?? 3,
    });
    if (!json) for (const [cluster, what] of Object.entries(result)) process.stdout.write(`topic ${topic} on ${cluster}: ${what}\n`);
  }

  const producer = new FailoverProducer({
    ...settings,
    bootstrap: target.bootstrap,
    direct: target.direct,
    topic,
    count,
    durationMs,
    ratePerSecond,
    ledgerFile: flags.ledger,
    producerId: flags.producerId,
    payloadBytes: flags.payloadBytes === undefined ? undefined : parseInteger('--payload-bytes', flags.payloadBytes, 0),
    batchSize: flags.batchSize === undefined ? undefined : parseInteger('--batch-size', flags.batchSize),
    maxInFlightBatches: flags.maxInFlight === undefined ? undefined : parseInteger('--max-in-flight', flags.maxInFlight),
    idempotent: flags.idempotent ?? false,
  });
  const live = liveView(json);
  producer.on('clusterChange', (c) => live.note(`${clock(c.at)} acks moved ${c.from} -> ${c.to}`));
  producer.on('status', (s) => {
    if (s.state !== 'producing' && s.state !== 'stopped') live.status(s.text);
  });
  const ticker = setInterval(() => {
    const st = producer.stats();
    if (st.state !== 'connecting') live.update(producerLine(st));
  }, 250);
  const interrupt = gracefulStop(() => producer.stop(), live);
  try {
    const summary = await producer.run();
    live.stop();
    if (json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    else for (const line of producerSummaryText(summary)) process.stdout.write(`${line}\n`);
    return 0;
  } finally {
    clearInterval(ticker);
    live.stop();
    interrupt.release();
  }
}

async function consume(flags: ConsumeFlags): Promise<number> {
  const count = flags.count === undefined ? undefined : parseInteger('--count', flags.count);
  const durationMs = flags.duration === undefined ? undefined : parseSeconds('--duration', flags.duration);
  const from = parseStartPosition('--from', flags.from);
  const onSwitch = parseStartPosition('--on-switch', flags.onSwitch);
  const sessionTimeoutMs = flags.sessionTimeout === undefined ? undefined : parseMs('--session-timeout', flags.sessionTimeout, 1_000);
  const settings = failoverSettings(flags);
  const target = resolveTarget(flags.bootstrap);
  const topic = topicOf(flags, target);
  const json = flags.json ?? false;
  if (flags.group !== undefined && !/^[\w.-]{1,249}$/.test(flags.group)) {
    throw new UserError(`--group "${flags.group}" is not a usable group id`, 'use letters, digits, ".", "_" and "-"');
  }

  const consumer = new FailoverConsumer({
    ...settings,
    bootstrap: target.bootstrap,
    direct: target.direct,
    topic,
    groupId: flags.group,
    count,
    durationMs,
    from,
    onSwitch,
    sessionTimeoutMs,
  });
  const live = liveView(json);
  consumer.on('clusterSwitch', (w) => live.note(`${clock(w.at)} cluster switch ${w.from} -> ${w.to}: rejoining group ${consumer.groupId} (on-switch ${onSwitch})`));
  consumer.on('status', (s) => {
    if (s.state !== 'consuming' && s.state !== 'stopped') live.status(s.text);
  });
  const ticker = setInterval(() => {
    const st = consumer.stats();
    if (st.state !== 'connecting' && st.state !== 'joining') live.update(consumerLine(st));
  }, 250);
  const interrupt = gracefulStop(() => consumer.stop(), live);
  try {
    const summary = await consumer.run();
    live.stop();
    if (json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    else for (const line of consumerSummaryText(summary)) process.stdout.write(`${line}\n`);
    return 0;
  } finally {
    clearInterval(ticker);
    live.stop();
    interrupt.release();
  }
}

async function verify(file: string, flags: { json?: boolean }): Promise<number> {
  const endpoints = openRuntime().endpoints();
  const spinner = flags.json || !process.stdout.isTTY ? undefined : ora(`reading back every entry of ${file} from the cluster that acked it`).start();
  try {
    const result = await verifyLedger(file, endpoints.direct);
    spinner?.stop();
    if (flags.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    else for (const line of ledgerText(result)) process.stdout.write(`${line}\n`);
    return result.missing > 0 ? 2 : 0;
  } finally {
    spinner?.stop();
  }
}

export function register(program: Command): void {
  addFailoverOptions(
    program
      .command('produce')
      .description(
        'Produce probe messages through Envoy (acks=all) and show which cluster acknowledges them.\n' +
          'Each record value is JSON {"producer","seq","sentAt"} keyed by the producer id; partition = seq mod partitions.',
      )
      .option('--topic <name>', "topic (default: the demo topology's first topic)")
      .option('--count <n>', 'stop after n messages')
      .option('--rate <msg/s>', 'messages per second; 0 = as fast as acks come back', '100')
      .option('--duration <s>', 'stop after this long (seconds, or "30s", "2m")')
      .option('--ledger <file>', 'append every acked message (cluster, partition, offset, producer, seq) to FILE as JSON lines')
      .option('--producer-id <id>', 'producer id carried in every message (default: host-pid-random)')
      .option('--payload-bytes <n>', 'pad each message value to about n bytes')
      .option('--batch-size <n>', 'most messages per send request (default 500)')
      .option('--max-in-flight <n>', 'concurrent send requests (default 16)')
      .option('--create-topic', 'create the topic on both clusters (directly, not via Envoy) if missing')
      .addOption(new Option('--idempotent', `idempotent producer; ${IDEMPOTENCE_REASON}`))
      .option('--json', 'print only the final summary as JSON ({sent, acked, failed, ackedBy, ...})'),
  ).action(returnsExitCode((flags: ProduceFlags) => produce(flags)));

  addFailoverOptions(
    program
      .command('consume')
      .description(
        'Consume probe messages through Envoy: rate, end-to-end latency, gaps and duplicates per producer,\n' +
          'and every switch between the primary and secondary cluster (then it rejoins its group there).',
      )
      .option('--topic <name>', "topic (default: the demo topology's first topic)")
      .option('--group <id>', 'consumer group (default: a fresh failover-demo-consume-<random> per run)')
      .option('--count <n>', 'stop after n messages')
      .option('--duration <s>', 'stop after this long (seconds, or "30s", "2m")')
      .option('--from <earliest|latest>', 'where a group without committed offsets starts on the first cluster', 'latest')
      .option(
        '--on-switch <earliest|latest>',
        'where it starts on the new cluster after a switch, when the group has no committed offsets there. ' +
          'earliest (default): the clusters do not replicate, so reading the new cluster from its start is the only way ' +
          'to see every message acknowledged there, including those written before this consumer noticed the switch; ' +
          'latest skips its history (and those messages)',
        'earliest',
      )
      .option('--session-timeout <ms>', 'group session timeout (default 10000): a member lost with its cluster is noticed sooner')
      .option('--json', 'print only the final summary as JSON ({received, gaps, duplicates, clusterSwitches, ...})'),
  ).action(returnsExitCode((flags: ConsumeFlags) => consume(flags)));

  program
    .command('verify-ledger <file>')
    .description(
      'Prove every message in a `produce --ledger` file is readable on the cluster that acknowledged it,\n' +
        'at the recorded partition and offset, reading each cluster directly (not via Envoy). Exit 2 if any is missing.',
    )
    .option('--json', 'print {checked, missing, missingSamples} as JSON')
    .action(returnsExitCode((file: string, flags: { json?: boolean }) => verify(file, flags)));
}
