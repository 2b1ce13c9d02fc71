/** The game day's step commands (src/runtime/external/hooks.ts): parsing, which hook a broker gets, placeholders, word splitting. */
import { describe, expect, it } from 'vitest';
import { hookArgv, hookFor, parseStepHook, splitWords } from '../../src/runtime/external/hooks.js';
import { UserError } from '../../src/util/errors.js';

const BROKERS = ['primary-broker-0', 'primary-broker-1', 'secondary-broker-0', 'secondary-broker-1'];
const b0 = { name: 'primary-broker-0', cluster: 'primary' as const, index: 0, id: 5, host: 'rp-0.example', port: 9092 };

describe('step commands', () => {
  it('splits a command into words like a shell (quotes group, backslash escapes), with no shell', () => {
    expect(splitWords(`kubectl -n "red panda" delete pod 'rp {index}' a\\ b`)).toEqual(['kubectl', '-n', 'red panda', 'delete', 'pod', 'rp {index}', 'a b']);
    expect(splitWords(`sh -c 'systemctl stop redpanda && sleep 1'`)).toEqual(['sh', '-c', 'systemctl stop redpanda && sleep 1']);
    expect(splitWords(`echo ""`)).toEqual(['echo', '']);
    expect(() => splitWords(`echo "open`)).toThrow(/unterminated " quote/);
  });

  it('parses ACTION TARGET=COMMAND and refuses anything else with the form and an example', () => {
    const h = parseStepHook('stop primary=ssh {host} sudo systemctl stop redpanda', BROKERS);
    expect(h).toMatchObject({ action: 'stop', target: 'primary', argv: ['ssh', '{host}', 'sudo', 'systemctl', 'stop', 'redpanda'] });
    for (const [text, message] of [
      ['stop primary', /expected ACTION TARGET=COMMAND/],
      ['kill primary=x', /unknown action "kill"/],
      ['stop tertiary=x', /unknown target "tertiary"/],
      ['stop primary-broker-9=x', /unknown target "primary-broker-9"/],
      ['stop *=   ', /no command/],
    ] as const) {
      let error: unknown;
      try {
        parseStepHook(text, BROKERS);
      } catch (e) {
        error = e;
      }
      expect(error, text).toBeInstanceOf(UserError);
      expect((error as UserError).message, text).toMatch(message);
    }
  });

  it('the most specific hook wins: the broker, then its cluster, then *', () => {
    const hooks = ['stop *=any', 'stop primary=cluster', 'stop primary-broker-0=own', 'start *=up'].map((t) => parseStepHook(t, BROKERS));
    expect(hookFor(hooks, 'stop', b0)?.argv).toEqual(['own']);
    expect(hookFor(hooks, 'stop', { name: 'primary-broker-1', cluster: 'primary' })?.argv).toEqual(['cluster']);
    expect(hookFor(hooks, 'stop', { name: 'secondary-broker-0', cluster: 'secondary' })?.argv).toEqual(['any']);
    expect(hookFor(hooks, 'start', b0)?.argv).toEqual(['up']);
    expect(hookFor([], 'start', b0)).toBeUndefined();
  });

  it('replaces the placeholders in every word, leaving other braces alone', () => {
    const h = parseStepHook('stop primary=run {broker} {cluster}-{index} id={id} {host}:{port} {other}', BROKERS);
    expect(hookArgv(h, b0)).toEqual(['run', 'primary-broker-0', 'primary-0', 'id=5', 'rp-0.example:9092', '{other}']);
  });
});
