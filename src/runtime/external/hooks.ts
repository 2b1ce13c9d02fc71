/**
 * A game day's fault steps on clusters this tool does not own (`drill --clusters FILE`): each broker
 * change runs a command the user gave (`--step-cmd "stop primary=kubectl delete pod rp-{index}"`), or,
 * without one, asks the person at the terminal to make it and press Enter.
 *
 * A hook is `ACTION TARGET=COMMAND`:
 * - ACTION: `stop` or `start` (what the drill's steps do to a broker; recovery mode and crashes are not
 *   offered on users' clusters);
 * - TARGET: a broker name (`primary-broker-0`), a cluster (`primary`, `secondary`) or `*`; the most
 *   specific hook of the action wins;
 * - COMMAND: run once per broker, without a shell (split into words like a shell does: quotes group,
 *   a backslash escapes), after replacing {broker}, {cluster}, {index}, {id}, {host} and {port}.
 *   A pipe or `&&` needs an explicit `sh -c '…'`, so that what runs is what the user wrote.
 */
import { UserError } from '../../util/errors.js';
import type { ClusterName } from '../../config/topology.js';

export type HookAction = 'stop' | 'start';
export const HOOK_ACTIONS: readonly HookAction[] = ['stop', 'start'];

export interface StepHook {
  action: HookAction;
  /** A broker name, a cluster name or '*'. */
  target: string;
  /** The command's words, placeholders not yet replaced. */
  argv: string[];
  /** As given, for messages. */
  text: string;
}

/** What a command's placeholders stand for, for one broker. */
export interface HookBroker {
  name: string;
  cluster: ClusterName;
  index: number;
  id: number;
  host: string;
  port: number;
}

const HINT = 'write it as --step-cmd "stop primary=COMMAND" (ACTION stop|start, TARGET a broker, a cluster or *), e.g. --step-cmd "stop primary-broker-0=systemctl stop redpanda"';

/** Splits a command into words as a POSIX shell would for quotes and backslashes (nothing else is special). */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) word += text[++i];
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote) throw new UserError(`unterminated ${quote} quote in the step command \`${text}\``, 'close the quote');
  if (inWord) words.push(word);
  return words;
}

/** One `--step-cmd` value, checked against the brokers it can name. */
export function parseStepHook(text: string, brokerNames: readonly string[]): StepHook {
  const eq = text.indexOf('=');
  const head = (eq < 0 ? text : text.slice(0, eq)).trim().split(/\s+/);
  if (eq < 0 || head.length !== 2) throw new UserError(`--step-cmd "${text}": expected ACTION TARGET=COMMAND`, HINT);
  const [action, target] = head as [string, string];
  if (!(HOOK_ACTIONS as readonly string[]).includes(action)) throw new UserError(`--step-cmd "${text}": unknown action "${action}"`, HINT);
  const targets = ['*', 'primary', 'secondary', ...brokerNames];
  if (!targets.includes(target)) throw new UserError(`--step-cmd "${text}": unknown target "${target}"`, `targets: ${targets.join(', ')}`);
  const argv = splitWords(text.slice(eq + 1));
  if (argv.length === 0) throw new UserError(`--step-cmd "${text}": no command after "="`, HINT);
  return { action: action as HookAction, target, argv, text };
}

/** The hook for this action on this broker: the broker's own, else its cluster's, else '*'. */
export function hookFor(hooks: readonly StepHook[], action: HookAction, broker: Pick<HookBroker, 'name' | 'cluster'>): StepHook | undefined {
  const of = (target: string) => hooks.find((h) => h.action === action && h.target === target);
  return of(broker.name) ?? of(broker.cluster) ?? of('*');
}

/** The hook's words with the broker's placeholders replaced. */
export function hookArgv(hook: StepHook, b: HookBroker): string[] {
  const values: Record<string, string> = { broker: b.name, cluster: b.cluster, index: String(b.index), id: String(b.id), host: b.host, port: String(b.port) };
  return hook.argv.map((w) => w.replace(/\{(broker|cluster|index|id|host|port)\}/g, (_, k: string) => values[k]!));
}
