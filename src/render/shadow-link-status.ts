/**
 * `rpk shadow status <link>` output → the link's state and each shadow topic's state and lag. Pure: no I/O.
 *
 * What is documented and what is assumed:
 * - States (docs modules/manage/pages/disaster-recovery/shadowing/monitor.adoc, "Status commands"): link
 *   ACTIVE | PAUSED; topic ACTIVE | FAULTED | FAILING_OVER | FAILED_OVER | PAUSED; task ACTIVE | FAULTED |
 *   NOT_RUNNING | LINK_UNAVAILABLE. Lag is per partition, "source vs shadow high watermarks".
 * - JSON (`--format json`, rpk-shadow-status.adoc): the docs show no sample. The shape here is rpk's own
 *   struct tags, github.com/redpanda-data/redpanda src/go/rpk/pkg/cli/shadow/status.go (shadowLinkStatus:
 *   overview{name,id,state}, tasks[{name,broker_id,shard,state,reason}], topics[{name,id,state,
 *   partitions[{partition_id,src_lso,src_hwm,dst_hwm,lag}]}]), states with their SHADOW_LINK_STATE_ /
 *   SHADOW_TOPIC_STATE_ / TASK_STATE_ prefixes trimmed. Go prints empty lists as null; both are accepted.
 * - Text: the sample in modules/manage/pages/disaster-recovery/shadowing/failover-runbook.adoc ("Document
 *   current state"), which the docs themselves mark "TODO: Verify this output format": an overview with
 *   `STATE <state>`, then per topic `Name: <topic>, State: <state>` and a partition table whose last column
 *   is Lag. rpk's source adds `, ID: <id>` after the name and spells the columns SRC-LSO etc.; both are
 *   accepted. Tasks are not read from text (their Reason column may hold spaces).
 */
import { z } from 'zod';
import { UserError } from '../util/errors.js';

export interface ShadowTopicStatus {
  name: string;
  /** ACTIVE | FAULTED | FAILING_OVER | FAILED_OVER | PAUSED (others passed through as printed). */
  state: string;
  /** Messages the shadow is behind: the sum of the partitions' Lag; absent when no partition was listed. */
  lag?: number;
}

export interface ShadowTaskStatus {
  name: string;
  brokerId?: number;
  state: string;
  reason?: string;
}

export interface ShadowLinkStatus {
  name?: string;
  /** ACTIVE | PAUSED. */
  state: string;
  topics: ShadowTopicStatus[];
  /** From JSON only. */
  tasks: ShadowTaskStatus[];
  format: 'json' | 'text';
}

const trimState = (s: string) => s.replace(/^(SHADOW_LINK_STATE_|SHADOW_TOPIC_STATE_|TASK_STATE_)/, '');

const partitionJson = z.object({ partition_id: z.number().optional(), lag: z.number() }).passthrough();
const statusJson = z
  .object({
    overview: z.object({ name: z.string().optional(), state: z.string() }).passthrough(),
    tasks: z
      .array(z.object({ name: z.string(), broker_id: z.number().optional(), state: z.string(), reason: z.string().optional() }).passthrough())
      .nullish(),
    topics: z.array(z.object({ name: z.string(), state: z.string(), partitions: z.array(partitionJson).nullish() }).passthrough()).nullish(),
  })
  .passthrough();

const sumLag = (lags: number[]) => (lags.length === 0 ? undefined : lags.reduce((a, b) => a + b, 0));

const UNREADABLE_HINT =
  'check that the link exists on the secondary cluster (`rpk shadow list`) and that its rpk is 25.3 or newer; run `rpk shadow status <link>` there to see what it prints';

function parseJsonStatus(text: string): ShadowLinkStatus {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UserError(`rpk shadow status printed JSON that does not parse: ${(err as Error).message}`, UNREADABLE_HINT);
  }
  const parsed = statusJson.safeParse(raw);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => i.path.join('.') || '(top)').join(', ');
    throw new UserError(`rpk shadow status printed JSON without the expected fields (${where})`, UNREADABLE_HINT);
  }
  const s = parsed.data;
  return {
    ...(s.overview.name ? { name: s.overview.name } : {}),
    state: trimState(s.overview.state),
    topics: (s.topics ?? []).map((t) => {
      const lag = sumLag((t.partitions ?? []).map((p) => p.lag));
      return { name: t.name, state: trimState(t.state), ...(lag === undefined ? {} : { lag }) };
    }),
    tasks: (s.tasks ?? []).map((t) => ({
      name: t.name,
      ...(t.broker_id === undefined ? {} : { brokerId: t.broker_id }),
      state: trimState(t.state),
      ...(t.reason ? { reason: t.reason } : {}),
    })),
    format: 'json',
  };
}

const TOPIC_LINE = /^\s*Name:\s*(.+?)(?:,\s*ID:\s*[^,]*)?,\s*State:\s*([A-Z_]+)\s*$/;
const PARTITION_ROW = /^\s*\d+(?:\s+-?\d+)+\s*$/;

function parseTextStatus(text: string): ShadowLinkStatus {
  const lines = text.split(/\r?\n/);
  const stateLine = lines.map((l) => /^\s*STATE\s+([A-Z_]+)\s*$/.exec(l)).find((m) => m);
  if (!stateLine) throw new UserError('rpk shadow status printed no link STATE line', UNREADABLE_HINT);
  const name = lines.map((l) => /^\s*NAME\s+(\S+)\s*$/.exec(l)).find((m) => m)?.[1];
  const topics: ShadowTopicStatus[] = [];
  let current: { topic: ShadowTopicStatus; lags: number[] } | undefined;
  const close = () => {
    if (!current) return;
    const lag = sumLag(current.lags);
    topics.push(lag === undefined ? current.topic : { ...current.topic, lag });
  };
  for (const line of lines) {
    const topic = TOPIC_LINE.exec(line);
    if (topic) {
      close();
      current = { topic: { name: topic[1]!, state: trimState(topic[2]!) }, lags: [] };
    } else if (current && PARTITION_ROW.test(line)) {
      current.lags.push(Number(line.trim().split(/\s+/).at(-1)));
    }
  }
  close();
  return { ...(name ? { name } : {}), state: trimState(stateLine[1]!), topics, tasks: [], format: 'text' };
}

/** Parses what `rpk shadow status <link>` printed, with `--format json` or as text (told apart by a leading `{`). */
export function parseShadowLinkStatus(output: string): ShadowLinkStatus {
  const text = output.trim();
  if (text === '') throw new UserError('rpk shadow status printed nothing', UNREADABLE_HINT);
  return text.startsWith('{') ? parseJsonStatus(text) : parseTextStatus(text);
}

/** The given topics that are not (yet) in `state` in a status, missing ones included: e.g. not FAILED_OVER. */
export function topicsNotInState(status: ShadowLinkStatus, topics: readonly string[], state: string): string[] {
  return topics.filter((name) => status.topics.find((t) => t.name === name)?.state !== state);
}
