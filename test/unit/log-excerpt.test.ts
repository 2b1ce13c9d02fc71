/**
 * logExcerpt / oneLineCause on real failure logs: test/fixtures/logs/*.txt, captured from the project's
 * Envoy (standard build) and Apache Kafka 3.9.1 by scripts/capture-failure-logs.mjs (index.json there
 * says how each was made).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cutMiddle, dropConfigDump, logExcerpt, oneLineCause } from '../../src/util/log-excerpt.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'logs');
const fixture = (name: string) => readFileSync(join(FIXTURES, `${name}.txt`), 'utf8');
const index = JSON.parse(readFileSync(join(FIXTURES, 'index.json'), 'utf8')) as { captures: { file: string }[] };

const KAFKA_BROKER_TYPE = "could not find @type 'type.googleapis.com/envoy.extensions.filters.network.kafka_broker.v3.KafkaBroker'";

/** Each fixture: the cause line it must give, text the excerpt must keep, the excerpt's size limit. */
const CASES: { name: string; cause: string; keeps: string[]; maxChars: number }[] = [
  { name: 'envoy-validate-kafka-filter', cause: KAFKA_BROKER_TYPE, keeps: [KAFKA_BROKER_TYPE, '[critical][main] error initializing configuration'], maxChars: 320 },
  {
    name: 'envoy-validate-bad-duration',
    cause: "static_resources.clusters[0].health_checks[0].timeout: duration must end with a single 's'",
    keeps: ["static_resources.clusters[0].health_checks[0].timeout: message google.protobuf.Duration", "duration must end with a single 's'"],
    maxChars: 320,
  },
  {
    name: 'envoy-validate-out-of-range',
    cause: 'static_resources.clusters[0].outlier_detection.max_ejection_percent: value must be less than or equal to 100',
    keeps: ['OutlierDetectionValidationError.MaxEjectionPercent: value must be less than or equal to 100'],
    maxChars: 320,
  },
  { name: 'envoy-run-kafka-filter', cause: KAFKA_BROKER_TYPE, keeps: [KAFKA_BROKER_TYPE, 'envoy-run-kafka-filter.yaml'], maxChars: 320 },
  { name: 'envoy-run-admin-port-taken', cause: "cannot bind '127.0.0.1:36901': Address already in use", keeps: ["cannot bind '127.0.0.1:36901': Address already in use"], maxChars: 320 },
  { name: 'envoy-run-lds-rejected', cause: `${KAFKA_BROKER_TYPE} (in `, keeps: ['Filesystem config update failure', KAFKA_BROKER_TYPE], maxChars: 320 },
  {
    name: 'kafka-invalid-property',
    cause: 'ConfigException: Invalid value banana for configuration process.roles: String must be one of: broker, controller',
    keeps: ['ERROR Exiting Kafka due to fatal exception', 'org.apache.kafka.common.config.ConfigException: Invalid value banana for configuration process.roles'],
    maxChars: 400,
  },
  {
    name: 'standin-kafka-port-taken',
    cause: 'KafkaException: Socket server failed to bind to 127.0.0.1:36092: Address already in use.',
    keeps: ['Socket server failed to bind to 127.0.0.1:36092: Address already in use.', 'Caused by: java.net.BindException: Address already in use', '[standin] Kafka exited (code 1)'],
    maxChars: 1800,
  },
  {
    name: 'supervisor-gave-up',
    cause: 'redpanda.kafka_api has no listener',
    keeps: ['[standin] error: redpanda.kafka_api has no listener', 'giving up'],
    maxChars: 400,
  },
];

describe('the fixtures', () => {
  it('are the captured ones, each with a case here', () => {
    expect(index.captures.map((c) => c.file).sort()).toEqual(CASES.map((c) => `${c.name}.txt`).sort());
  });
});

describe.each(CASES)('$name', ({ name, cause, keeps, maxChars }) => {
  const text = fixture(name);
  const excerpt = logExcerpt(text);

  it('gives the one-line cause', () => {
    const got = oneLineCause(text);
    expect(name === 'envoy-run-lds-rejected' ? got?.slice(0, cause.length) : got).toBe(cause);
    expect(got!.length).toBeLessThanOrEqual(240);
    expect(got).not.toContain('\n');
  });

  it('keeps the lines that name the problem, and is short', () => {
    const joined = excerpt.join('\n');
    for (const k of keeps) expect(joined).toContain(k);
    expect(joined.length).toBeLessThan(maxChars);
    expect(joined.length).toBeLessThan(text.length / 3);
  });

  it('leaves the config dumps out and cuts long lines', () => {
    for (const line of excerpt) {
      expect(line.length).toBeLessThanOrEqual(300);
      expect(line).not.toMatch(/"static_resources"|"resources":|socket_address \{|goo\.gle\/debug/);
    }
    // Kafka's config listing (`\tkey = value`) and Envoy's info lines are not problems.
    expect(excerpt.join('\n')).not.toMatch(/^\s*(log\.dirs|process\.roles) = |\[info\]/m);
  });

  it('says each thing once', () => {
    expect(new Set(excerpt).size).toBe(excerpt.length);
  });
});

describe('logExcerpt options', () => {
  it('cuts every line to maxLineLength, with …', () => {
    const lines = logExcerpt(fixture('envoy-validate-bad-duration'), { maxLineLength: 120 });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.length).toBe(120);
    expect(lines[0]).toContain('…');
    // The middle goes: the line's end names the cause.
    expect(lines[0]).toMatch(/duration must end with a single 's'\): \{…\}$/);
  });

  it('keeps the first maxLines - 1 lines and the last one', () => {
    const all = logExcerpt(fixture('standin-kafka-port-taken'));
    const four = logExcerpt(fixture('standin-kafka-port-taken'), { maxLines: 4 });
    expect(four).toEqual([...all.slice(0, 3), all[all.length - 1]]);
  });

  it('falls back to the last lines when none names a problem', () => {
    const ok = fixture('envoy-run-lds-rejected').split('\n').filter((l) => l.includes('[info]')).join('\n');
    const lines = logExcerpt(ok, { fallbackLines: 3 });
    expect(lines).toHaveLength(3);
    expect(lines[2]).toContain('[info]');
    expect(oneLineCause(ok)).toBeUndefined();
  });
});

describe('formats without a captured fixture', () => {
  // A real Redpanda start-up failure line, as quoted in redpanda-data/redpanda PR #5059 (Redpanda does
  // not run on these machines, so there is no captured Redpanda log).
  const redpanda = 'ERROR 2022-07-17 19:42:35,506 [shard 0] redpanda::main - application.cc:255 - Failure during startup: seastar::abort_requested_exception (abort requested)';

  it('Redpanda ERROR lines', () => {
    expect(logExcerpt(`INFO  2022-07-17 19:42:35,500 [shard 0] redpanda::main - application.cc:200 - Starting\n${redpanda}`)).toEqual([
      'ERROR Failure during startup: seastar::abort_requested_exception (abort requested)',
    ]);
    expect(oneLineCause(redpanda)).toBe('Failure during startup: seastar::abort_requested_exception (abort requested)');
  });
});

describe('helpers', () => {
  it('dropConfigDump replaces a JSON document inside a line, keeping the text after it', () => {
    const json = JSON.stringify({ static_resources: { listeners: Array.from({ length: 5 }, (_, i) => ({ name: `l${i}`, port: 9092 + i })) } });
    expect(dropConfigDump(`error \`bad thing: ${json}\` initializing config 'x.yaml'`)).toBe("error `bad thing: {…}` initializing config 'x.yaml'");
    expect(dropConfigDump('short {"a":1} stays')).toBe('short {"a":1} stays');
  });

  it('cutMiddle keeps more of the end', () => {
    expect(cutMiddle('a'.repeat(50) + 'the cause', 21)).toMatch(/^a{8}…a{3}the cause$/);
    expect(cutMiddle('short', 21)).toBe('short');
  });
});
