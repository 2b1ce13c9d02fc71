/** `failover-demo routing`: live view of what Envoy routes where, and when it changed. */
import type { Command } from 'commander';
import type { Topology } from '../../config/topology.js';
import { parseAdminUrl } from '../../envoy/admin.js';
import { describeReadError, monitorRouting, type MonitorUpdate } from '../../envoy/monitor.js';
import { RoutingReader, type RoutingSnapshot } from '../../envoy/routing.js';
import { UserError } from '../../util/errors.js';
import { currentState, resolveTopology } from '../context.js';
import { returnsExitCode } from '../exit-code.js';
import { onInterrupt } from '../interrupt.js';
import { parsedOption } from '../options.js';
import { colors, errorLine, eventLine, screenLines, snapshotLines, summaryLine, TtyScreen, type ScreenView } from '../routing-screen.js';
import { readReplication, replicationSummary, ReplicationPoller, replicatorUrlFor, type ReplicationReading } from '../replication-view.js';

interface RoutingFlags {
  /** Parsed: scheme, host and port, no trailing slash. */
  admin?: string;
  interval: number;
  once?: boolean;
  json?: boolean;
}

export function parseIntervalMs(text: string): number {
  const ms = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(ms) || ms <= 0 || ms > 3_600_000) {
    throw new UserError(`--interval must be a whole number of milliseconds between 1 and 3600000, got "${text}"`, 'e.g. --interval 500');
  }
  return ms;
}

/** --admin, else the running demo's admin address, else the default topology's. */
export function adminUrlFor(flag: string | undefined, topology: Topology | undefined): string {
  if (flag !== undefined) {
    try {
      return parseAdminUrl(flag).href.replace(/\/$/, '');
    } catch (err) {
      throw new UserError(`--admin: ${(err as Error).message}`, 'pass the Envoy admin address, e.g. --admin http://127.0.0.1:9901');
    }
  }
  const t = topology!;
  const host = t.bindAddress === '0.0.0.0' || t.bindAddress === '::' ? '127.0.0.1' : t.bindAddress;
  return `http://${host.includes(':') ? `[${host}]` : host}:${t.envoy.adminPort}`;
}

const HEARTBEAT_MIN_MS = 10_000;
const KEPT_EVENTS = 200;

/** With replication, the replicator's reading (read alongside Envoy; never rejects). */
async function runOnce(reader: RoutingReader, adminUrl: string, json: boolean, replicatorUrl: string | undefined): Promise<void> {
  let snapshot: RoutingSnapshot;
  let replication: ReplicationReading | undefined;
  try {
    [snapshot, replication] = await Promise.all([reader.read(), replicatorUrl === undefined ? undefined : readReplication(replicatorUrl)]);
  } catch (err) {
    throw new UserError(
      describeReadError(err).replace(/, retrying$/, ''),
      `is the demo running (\`failover-demo status\`)? Otherwise point --admin at your Envoy's admin address (tried ${adminUrl})`,
    );
  }
  const c = colors();
  if (json) process.stdout.write(JSON.stringify({ ...snapshot, ...(replication ? { replication } : {}) }) + '\n');
  else process.stdout.write([...snapshotLines(snapshot, c), ...(replication ? ['', replicationSummary(replication, c, Date.now())] : [])].join('\n') + '\n');
}

async function runLive(reader: RoutingReader, view: Pick<ScreenView, 'adminUrl' | 'intervalMs'>, json: boolean, replicatorUrl: string | undefined): Promise<void> {
  const interrupt = onInterrupt({ signals: ['SIGINT', 'SIGTERM'], again: 'ignore' });
  const stop = () => interrupt.abort();
  process.stdout.on('error', stop); // e.g. EPIPE when piped into `head`
  const c = colors();
  const tty = !json && process.stdout.isTTY === true;
  const screen = tty ? new TtyScreen(process.stdout) : undefined;
  const heartbeatMs = Math.max(HEARTBEAT_MIN_MS, 10 * view.intervalMs);
  const state: ScreenView = { ...view, events: [], now: Date.now() };
  let lastPrinted = 0;
  const redraw = () => screen?.draw(screenLines({ ...state, now: Date.now() }, c));
  const onResize = () => redraw();
  if (screen) process.stdout.on('resize', onResize);
  // At most every REPLICATION_POLL_MS, whatever the routing interval; shown from the next redraw or line on.
  const replication = replicatorUrl === undefined ? undefined : new ReplicationPoller(replicatorUrl, (r) => {
    state.replication = r;
    redraw();
  });

  const print = (line: string) => process.stdout.write(line + '\n');
  const onUpdate = (u: MonitorUpdate) => {
    replication?.poke();
    if (u.kind === 'snapshot') {
      state.previous = state.snapshot;
      state.snapshot = u.snapshot;
      state.error = undefined;
      state.events.push(...u.events);
      const due = u.events.length > 0 || u.snapshot.at - lastPrinted >= heartbeatMs;
      if (json) {
        if (due) print(JSON.stringify({ ...u.snapshot, events: u.events, ...(state.replication ? { replication: state.replication } : {}) }));
      } else if (!tty) {
        for (const e of u.events) print(eventLine(e, c));
        if (due) print(summaryLine(u.snapshot, c) + (state.replication ? `\n${replicationSummary(state.replication, c, u.snapshot.at)}` : ''));
      }
      if (due) lastPrinted = u.snapshot.at;
    } else {
      state.error = { at: u.at, message: u.message };
      if (!u.repeated) {
        state.events.push({ at: u.at, kind: 'error', message: u.message });
        if (json) print(JSON.stringify({ at: u.at, error: u.message }));
        else if (!tty) print(errorLine(u.at, u.message, c));
      }
    }
    if (state.events.length > KEPT_EVENTS) state.events.splice(0, state.events.length - KEPT_EVENTS);
    redraw();
  };

  try {
    redraw();
    await monitorRouting(reader, { intervalMs: view.intervalMs, signal: interrupt.signal, onUpdate });
  } finally {
    screen?.close();
    process.stdout.off('resize', onResize);
    interrupt.release();
    process.stdout.off('error', stop);
  }
}

/** The failover controller next to that Envoy (same host, failover.controllerPort), under `coherent`. */
export function controllerUrlFor(adminUrl: string, topology: Topology | undefined): string | undefined {
  if (topology?.failover.policy !== 'coherent') return undefined;
  const u = new URL(adminUrl);
  return `${u.protocol}//${u.hostname}:${topology.failover.controllerPort}`;
}

/** Envoy's routing as `routing` reads it: --admin, else the running demo's (or the default topology's) Envoy, with its controller. */
export function routingReaderFor(admin: string | undefined, intervalMs: number): { reader: RoutingReader; adminUrl: string; topology: Topology | undefined } {
  const topology = currentState()?.topology ?? (admin === undefined ? resolveTopology() : undefined);
  const adminUrl = admin ?? adminUrlFor(undefined, topology);
  const reader = new RoutingReader(adminUrl, topology, { timeoutMs: Math.min(5_000, Math.max(1_000, intervalMs)), controllerUrl: controllerUrlFor(adminUrl, topology) });
  return { reader, adminUrl, topology };
}

export function register(program: Command): void {
  program
    .command('routing')
    .description("live view of Envoy's routing: where each listener sends new connections, host health, and every change")
    .addOption(parsedOption('--admin <url>', "Envoy admin URL (default: the running demo's, http://127.0.0.1:<envoy.adminPort>)", (_, text) => adminUrlFor(text, undefined)))
    .addOption(parsedOption('--interval <ms>', 'poll interval in milliseconds', (_, text) => parseIntervalMs(text), '1000'))
    .option('--once', 'print one snapshot and exit (non-zero when Envoy could not be read)')
    .option('--json', 'machine-readable output: one JSON object per line (with --once: exactly one)')
    .addHelpText(
      'after',
      `
States: primary | secondary (every listener on that cluster), split (listeners on different clusters),
none (some listener has no healthy upstream). Not a TTY: prints changes plus a periodic heartbeat line.
An Envoy restart is an event too (its process start time comes from /server_info with every read).
With replication (replication.mode: shadow): the replicator's phase and lag per topic, read every 2 s at
most (JSON: "replication"), and the failover controller's replication steps in the event log.

Examples:
  $ failover-demo routing
  $ failover-demo routing --once --json | jq .activeCluster
  $ failover-demo routing --admin http://127.0.0.1:9901 --interval 250`,
    )
    .action(returnsExitCode(async (flags: RoutingFlags) => {
      const intervalMs = flags.interval;
      const { reader, adminUrl, topology } = routingReaderFor(flags.admin, intervalMs);
      const replicatorUrl = replicatorUrlFor(adminUrl, topology);
      try {
        if (flags.once) await runOnce(reader, adminUrl, flags.json === true, replicatorUrl);
        else await runLive(reader, { adminUrl, intervalMs }, flags.json === true, replicatorUrl);
      } finally {
        await reader.close();
      }
      return 0;
    }));
}
