/**
 * `produce`, `consume` and `verify-ledger`: commander wiring and rendering of ../../kafka/*.
 */
import { Command, Option } from 'commander';
import chalk from 'chalk';
import ora, { type Ora } from 'ora';
import { FailoverConsumer, type StartPosition } from '../../kafka/consumer.js';
import { FailoverProducer } from '../../kafka/producer.js';
import { verifyLedger } from '../../kafka/ledger.js';
import { createTopicOnClusters } from '../../kafka/topic.js';
import { defaultOnSwitch, parseBrokerList, parseInteger, parseMs, parseOnSwitch, parseRate, parseSeconds, parseStartPosition, parseTopic } from '../client-flags.js';
import { consumerLine, consumerSummaryText, ledgerText, producerLine, producerSummaryText } from '../client-format.js';
import { DEFAULT_FAILOVER_SETTINGS, IDEMPOTENCE_REASON, SETTING_REASONS, type FailoverSettings } from '../../kafka/settings.js';
import { UserError } from '../../util/errors.js';
import { openRuntime } from '../context.js';
import { loadClusters } from '../../config/clusters.js';
import { directOf } from '../../runtime/external/index.js';
import { resolveTarget, type Target } from '../client-target.js';
import { returnsExitCode } from '../exit-code.js';
import { onInterrupt, type Interrupt } from '../interrupt.js';
import { parsedOption, type FlagParser } from '../options.js';

/** The flags, parsed as declared in register() (durations in ms). */
interface CommonFlags {
  topic?: string;
  count?: number;
  duration?: number;
  json?: boolean;
  bootstrap?: string[];
  clusters?: string;
  metadataMaxAge?: number;
  requestTimeout?: number;
  connectionTimeout?: number;
  retries?: number;
  retryInitial?: number;
  retryMax?: number;
}

interface ProduceFlags extends CommonFlags {
  rate: number;
  ledger?: string;
  producerId?: string;
  payloadBytes?: number;
  batchSize?: number;
  maxInFlight?: number;
  idempotent?: boolean;
  createTopic?: boolean;
}

interface ConsumeFlags extends CommonFlags {
  group?: string;
  from: StartPosition;
  /** Absent: defaultOnSwitch of the demo's topology. */
  onSwitch?: StartPosition;
  sessionTimeout?: number;
}

const atLeast = (min: number): FlagParser<number> => (flag, text) => parseInteger(flag, text, min);
const msAtLeast = (min: number): FlagParser<number> => (flag, text) => parseMs(flag, text, min);
const groupId: FlagParser<string> = (flag, text) => {
  if (/^[\w.-]{1,249}$/.test(text)) return text;
  throw new UserError(`${flag} "${text}" is not a usable group id`, 'use letters, digits, ".", "_" and "-"');
};

function topicOf(flags: CommonFlags, target: Target): string {
  if (flags.topic !== undefined) return flags.topic;
  const first = target.topology?.topics[0]?.name;
  if (!first) throw new UserError('no topic given and the demo has no topics configured', 'pass --topic NAME');
  return first;
}

function failoverSettings(flags: CommonFlags): Partial<FailoverSettings> {
  return {
    metadataMaxAgeMs: flags.metadataMaxAge,
    requestTimeoutMs: flags.requestTimeout,
    connectionTimeoutMs: flags.connectionTimeout,
    retries: flags.retries,
    initialRetryTimeMs: flags.retryInitial,
    maxRetryTimeMs: flags.retryMax,
  };
}

function addFailoverOptions(cmd: Command): Command {
  const d = DEFAULT_FAILOVER_SETTINGS;
  return cmd
    .addOption(parsedOption('--bootstrap <host:port,...>', 'connect here instead of the running demo\'s Envoy', parseBrokerList))
    .option('--clusters <file>', 'your own clusters (README "Your own clusters"): through their Envoy (envoy.advertisedHost, or --bootstrap), each cluster named by its brokers')
    .addOption(parsedOption('--metadata-max-age <ms>', `metadata refresh period (default ${d.metadataMaxAgeMs}): ${SETTING_REASONS.metadataMaxAgeMs}`, msAtLeast(1)))
    .addOption(parsedOption('--request-timeout <ms>', `per-request timeout (default ${d.requestTimeoutMs}): ${SETTING_REASONS.requestTimeoutMs}`, msAtLeast(100)))
    .addOption(parsedOption('--connection-timeout <ms>', `TCP connect timeout (default ${d.connectionTimeoutMs}): ${SETTING_REASONS.connectionTimeoutMs}`, msAtLeast(100)))
    .addOption(parsedOption('--retries <n>', `retries per operation (default ${d.retries}): ${SETTING_REASONS.retries}`, atLeast(0)))
    .addOption(parsedOption('--retry-initial <ms>', `first retry backoff (default ${d.initialRetryTimeMs}): ${SETTING_REASONS.initialRetryTimeMs}`, msAtLeast(1)))
    .addOption(parsedOption('--retry-max <ms>', `retry backoff cap, a.k.a. reconnect backoff (default ${d.maxRetryTimeMs}): ${SETTING_REASONS.maxRetryTimeMs}`, msAtLeast(1)));
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
  const settings = failoverSettings(flags);
  const target = resolveTarget(flags.bootstrap, flags.clusters);
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
    count: flags.count,
    durationMs: flags.duration,
    ratePerSecond: flags.rate,
    ledgerFile: flags.ledger,
    producerId: flags.producerId,
    payloadBytes: flags.payloadBytes,
    batchSize: flags.batchSize,
    maxInFlightBatches: flags.maxInFlight,
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
  const settings = failoverSettings(flags);
  const target = resolveTarget(flags.bootstrap, flags.clusters);
  const onSwitch = flags.onSwitch ?? defaultOnSwitch(target.topology);
  const topic = topicOf(flags, target);
  const json = flags.json ?? false;

  const consumer = new FailoverConsumer({
    ...settings,
    bootstrap: target.bootstrap,
    direct: target.direct,
    topic,
    groupId: flags.group,
    count: flags.count,
    durationMs: flags.duration,
    from: flags.from,
    onSwitch,
    sessionTimeoutMs: flags.sessionTimeout,
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

async function verify(file: string, flags: { json?: boolean; clusters?: string }): Promise<number> {
  const endpoints = flags.clusters !== undefined ? { direct: directOf(loadClusters(flags.clusters)) } : openRuntime().endpoints();
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
      .addOption(parsedOption('--topic <name>', "topic (default: the demo topology's first topic)", parseTopic))
      .addOption(parsedOption('--count <n>', 'stop after n messages', atLeast(1)))
      .addOption(parsedOption('--rate <msg/s>', 'messages per second; 0 = as fast as acks come back', parseRate, '100'))
      .addOption(parsedOption('--duration <s>', 'stop after this long (seconds, or "30s", "2m")', parseSeconds))
      .option('--ledger <file>', 'append every acked message (cluster, partition, offset, producer, seq) to FILE as JSON lines')
      .option('--producer-id <id>', 'producer id carried in every message (default: host-pid-random)')
      .addOption(parsedOption('--payload-bytes <n>', 'pad each message value to about n bytes', atLeast(0)))
      .addOption(parsedOption('--batch-size <n>', 'most messages per send request (default 500)', atLeast(1)))
      .addOption(parsedOption('--max-in-flight <n>', 'concurrent send requests (default 16)', atLeast(1)))
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
      .addOption(parsedOption('--topic <name>', "topic (default: the demo topology's first topic)", parseTopic))
      .addOption(parsedOption('--group <id>', 'consumer group (default: a fresh failover-demo-consume-<random> per run)', groupId))
      .addOption(parsedOption('--count <n>', 'stop after n messages', atLeast(1)))
      .addOption(parsedOption('--duration <s>', 'stop after this long (seconds, or "30s", "2m")', parseSeconds))
      .addOption(parsedOption('--from <earliest|latest>', 'where a group without committed offsets starts on the first cluster', parseStartPosition, 'latest'))
      .addOption(
        parsedOption(
          '--on-switch <committed|earliest|latest>',
          'where it resumes on the new cluster after a switch (default: committed when the running demo replicates, ' +
            'replication.mode: shadow, else earliest). committed: from the group\'s offsets the replicator synced to the new ' +
            'cluster: duplicates of at most about one replication.syncInterval of messages, never gaps. earliest: re-reads the ' +
            'new cluster from its start, for clusters that do not replicate (the only way to see every message acknowledged ' +
            'there). latest: skips its history, and the messages written there before this consumer noticed the switch',
          parseOnSwitch,
        ),
      )
      .addOption(parsedOption('--session-timeout <ms>', 'group session timeout (default 10000): a member lost with its cluster is noticed sooner', msAtLeast(1_000)))
      .option('--json', 'print only the final summary as JSON ({received, gaps, duplicates, clusterSwitches, ...})'),
  ).action(returnsExitCode((flags: ConsumeFlags) => consume(flags)));

  program
    .command('verify-ledger <file>')
    .description(
      'Prove every message in a `produce --ledger` file is readable on the cluster that acknowledged it,\n' +
        'at the recorded partition and offset, reading each cluster directly (not via Envoy). Exit 2 if any is missing.',
    )
    .option('--json', 'print {checked, missing, missingSamples} as JSON')
    .option('--clusters <file>', 'your own clusters (README "Your own clusters"): read each at its brokers\' directAddress')
    .action(returnsExitCode((file: string, flags: { json?: boolean; clusters?: string }) => verify(file, flags)));
}
