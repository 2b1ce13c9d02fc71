import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { UserError } from '../../src/util/errors.js';

/** Parses a command line without running anything: a bad value is refused while commander parses. */
async function refusal(...args: string[]): Promise<UserError> {
  const program = buildProgram().exitOverride();
  for (const c of program.commands) c.action(() => {
    throw new Error(`${c.name()} ran: the value was not refused while parsing`);
  });
  const err = await program.parseAsync(['node', 'failover-demo', ...args]).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(UserError);
  return err as UserError;
}

function optionOf(command: string, flag: string) {
  return buildProgram().commands.find((c) => c.name() === command)!.options.find((o) => o.long === flag)!;
}

describe('flag values are checked while parsing, with the messages the actions gave', () => {
  it.each([
    [['start', '--runtime', 'nope'], 'unknown runtime "nope"', 'use one of: docker, local'],
    [['doctor', '--runtime', 'nope'], '--runtime must be one of docker, local, got "nope"', undefined],
    [['drill', '--scenario', 'nope'], 'unknown scenario "nope"', 'scenarios: recovery-mode, cluster-outage, broker-loss, proxy-restart, broker-crash'],
    [['drill', '--rate', '0'], '--rate must be a positive whole number, got "0"', undefined],
    [['drill', '--poll', '1.5'], '--poll must be a positive whole number, got "1.5"', undefined],
    [['routing', '--interval', '1s'], '--interval must be a whole number of milliseconds between 1 and 3600000, got "1s"', 'e.g. --interval 500'],
    [['routing', '--admin', 'ftp://127.0.0.1:9901'], /^--admin: .*not an http\(s\) URL/, 'pass the Envoy admin address, e.g. --admin http://127.0.0.1:9901'],
    [['produce', '--count', '0'], '--count must be a whole number >= 1, got "0"', 'e.g. --count 100'],
    [['produce', '--rate', '-1'], '--rate must be messages per second (a number >= 0; 0 = unthrottled), got "-1"', 'e.g. --rate 50'],
    [['produce', '--payload-bytes', 'x'], '--payload-bytes must be a whole number >= 0, got "x"', 'e.g. --payload-bytes 100'],
    [['produce', '--request-timeout', '5'], '--request-timeout must be milliseconds >= 100 ("5000") or a duration ("5s"), got "5"', 'e.g. --request-timeout 5000'],
    [['produce', '--retries', '-1'], '--retries must be a whole number >= 0, got "-1"', 'e.g. --retries 100'],
    [['produce', '--bootstrap', 'nope'], '--bootstrap must be host:port[,host:port...], got "nope"', 'e.g. --bootstrap 127.0.0.1:9092'],
    [['produce', '--topic', 'bad topic'], '--topic "bad topic" is not a valid Kafka topic name', 'use letters, digits, ".", "_" and "-" (at most 249 characters)'],
    [['consume', '--on-switch', 'sometimes'], '--on-switch must be "committed", "earliest" or "latest", got "sometimes"', 'committed when the clusters replicate (replication.mode: shadow), earliest when they do not'],
    [['consume', '--from', 'sometimes'], '--from must be "earliest" or "latest", got "sometimes"', undefined],
    [['consume', '--session-timeout', '10'], '--session-timeout must be milliseconds >= 1000 ("5000") or a duration ("5s"), got "10"', 'e.g. --session-timeout 5000'],
    [['consume', '--group', 'bad group'], '--group "bad group" is not a usable group id', 'use letters, digits, ".", "_" and "-"'],
    [['consume', '--duration', 'x'], '--duration must be a duration in seconds ("30") or with a unit ("30s", "2m"), got "x"', 'e.g. --duration 60'],
    [['broker', 'foo', 'primary-broker-0'], 'unknown broker action "foo"', 'use one of: stop, start, restart'],
    [['recovery', 'maybe', 'primary'], 'unknown recovery mode action "maybe"', 'use `recovery enable TARGET` or `recovery disable TARGET`'],
    [['switch', 'tertiary'], 'unknown cluster "tertiary"', 'use primary or secondary'],
  ] as const)('%j', async (args, message, hint) => {
    const err = await refusal(...args);
    if (typeof message === 'string') expect(err.message).toBe(message);
    else expect(err.message).toMatch(message);
    expect(err.hint).toBe(hint);
    expect(err.exitCode).toBe(1);
  });

  it('defaults are parsed the same way, and --help shows them as before', () => {
    expect(optionOf('produce', '--rate').defaultValue).toBe(100);
    expect(optionOf('drill', '--rate').defaultValue).toBe(20);
    expect(optionOf('drill', '--poll').defaultValue).toBe(100);
    expect(optionOf('routing', '--interval').defaultValue).toBe(1000);
    // None: the consume action picks committed or earliest from the demo's replication.mode (defaultOnSwitch).
    expect(optionOf('consume', '--on-switch').defaultValue).toBeUndefined();
    expect(optionOf('start', '--runtime').defaultValue).toBe('docker');
    const produce = buildProgram().commands.find((c) => c.name() === 'produce')!;
    expect(produce.helpInformation()).toContain('(default: "100")');
  });
});
