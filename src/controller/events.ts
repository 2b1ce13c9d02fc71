/**
 * The controller's log: one line per event on stderr (or the log the caller gives), the last events
 * kept for GET /v1/decision, and each one appended to the events file when the config names one.
 */
import { appendFile } from 'node:fs/promises';
import type { ClusterName } from './config.js';

export type EventKind = 'start' | 'decision' | 'switch' | 'envoy-unreachable' | 'envoy-reachable' | 'replication' | 'error';

export interface ControllerEvent {
  /** Epoch ms. */
  at: number;
  kind: EventKind;
  from?: ClusterName;
  to?: ClusterName;
  reason: string;
}

const EVENTS_KEPT = 50;

export function defaultLog(line: string): void {
  process.stderr.write(`${new Date().toISOString()} controller: ${line}\n`);
}

/** An error's message, with the code or message of its cause when that adds something (fetch's "fetch failed"). */
export function errorText(err: unknown): string {
  const e = err as Error & { cause?: { message?: string; code?: string } };
  const cause = e?.cause?.code ?? e?.cause?.message;
  return `${e?.message ?? String(err)}${cause && !String(e?.message).includes(cause) ? ` (${cause})` : ''}`;
}

export class EventLog {
  private readonly kept: ControllerEvent[] = [];
  private writes: Promise<unknown> = Promise.resolve();
  private fileFailed = false;

  constructor(
    private readonly log: (line: string) => void,
    private readonly file?: string,
  ) {}

  /** The last events, oldest first. */
  list(): ControllerEvent[] {
    return [...this.kept];
  }

  add(e: ControllerEvent): void {
    this.kept.push(e);
    if (this.kept.length > EVENTS_KEPT) this.kept.splice(0, this.kept.length - EVENTS_KEPT);
    const move = e.from && e.to ? ` ${e.from} → ${e.to}` : e.to ? ` (${e.to})` : '';
    this.log(`${e.kind}${move}: ${e.reason}`);
    if (this.file) this.append(this.file, `${JSON.stringify(e)}\n`);
  }

  /** Resolves once every event so far is in the file (or failed to get there, which was logged once). */
  flushed(): Promise<unknown> {
    return this.writes;
  }

  private append(file: string, line: string): void {
    this.writes = this.writes.then(() =>
      appendFile(file, line).then(
        () => {
          this.fileFailed = false;
        },
        (err: unknown) => {
          if (!this.fileFailed) this.log(`cannot append to ${file}: ${errorText(err)}`);
          this.fileFailed = true;
        },
      ),
    );
  }
}
