/**
 * `failover-demo dashboard`: the live picture for an audience, in a browser. Wiring only: the server,
 * page and actions are in ../../drill/dashboard-*.ts; the routing comes from the same reader and monitor
 * loop as `routing`.
 */
import type { Command } from 'commander';
import chalk from 'chalk';
import { execa } from 'execa';
import { brokersOf } from '../../config/topology.js';
import { dashboardActions, ProbeProducer } from '../../drill/dashboard-actions.js';
import { drillProgressFile, readDrillProgress } from '../../drill/dashboard-progress.js';
import { startDashboardServer } from '../../drill/dashboard-server.js';
import { projectDir } from '../../util/paths.js';
import { UserError } from '../../util/errors.js';
import { openRuntime } from '../context.js';
import { returnsExitCode } from '../exit-code.js';
import { onInterrupt } from '../interrupt.js';
import { parsedOption } from '../options.js';
import { parseIntervalMs, routingReaderFor } from './routing.js';

interface DashboardFlags {
  port: number;
  open?: boolean;
  probe: boolean;
  allowActions?: boolean;
  interval: number;
}

export function parsePort(text: string): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UserError(`--port must be a port number (0-65535), got "${text}"`, 'e.g. --port 8080');
  return n;
}

function openBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  execa(cmd, [url], { detached: true, stdio: 'ignore', reject: false }).catch(() => undefined);
}

export function register(program: Command): void {
  program
    .command('dashboard')
    .description('live dashboard in the browser for an audience: listener lanes, active cluster, controller decision, connections and acks per cluster, event log')
    .addOption(parsedOption('--port <port>', 'HTTP port (bound to the demo\'s bindAddress, 127.0.0.1 by default)', (_, text) => parsePort(text), '8080'))
    .option('--open', 'open the page in the default browser')
    .option('--no-probe', 'no probe producer (acks per second then stay empty)')
    .option('--allow-actions', 'show fault buttons (stop a broker, fail the primary, recovery mode, switch); accepted only from the loopback address, each asks first')
    .addOption(parsedOption('--interval <ms>', 'poll interval in milliseconds', (_, text) => parseIntervalMs(text), '500'))
    .addHelpText(
      'after',
      `
The page is self-contained (no CDN, no external fonts) and updated by server-sent events from the same
monitor loop as \`routing\`. Read-only unless --allow-actions; without it no action endpoint exists.

Examples:
  $ failover-demo dashboard --open
  $ failover-demo dashboard --port 9000 --allow-actions`,
    )
    .action(returnsExitCode(async (flags: DashboardFlags) => {
      const runtime = openRuntime();
      const t = runtime.topology;
      const { reader } = routingReaderFor(undefined, flags.interval);
      const interrupt = onInterrupt({ signals: ['SIGINT', 'SIGTERM'], again: 'ignore' });
      const probe = flags.probe ? new ProbeProducer(runtime) : undefined;
      const progressFile = drillProgressFile(projectDir());
      try {
        const server = await startDashboardServer({
          host: t.bindAddress,
          port: flags.port,
          title: `failover-demo: ${t.project}`,
          listenerNames: Array.from({ length: t.brokers }, (_, i) => `listener ${i}`),
          source: reader,
          intervalMs: flags.interval,
          ackRate: probe && (() => probe.rate()),
          actions: flags.allowActions ? dashboardActions(runtime) : undefined,
          drillSteps: () => {
            const p = readDrillProgress(progressFile);
            return p && { steps: p.steps, title: `drill ${p.scenario}, started ${new Date(p.startedAt).toLocaleTimeString([], { hour12: false })}` };
          },
          signal: interrupt.signal,
        }).catch((err: NodeJS.ErrnoException) => {
          throw err.code === 'EADDRINUSE' ? new UserError(`port ${flags.port} is taken`, 'pass another one: --port 8081') : err;
        });
        probe?.start();
        process.stdout.write(`${chalk.green('✓')} dashboard on ${server.url} (${flags.allowActions ? `actions allowed from loopback: ${brokersOf(t).length} brokers` : 'read-only'}; Ctrl+C stops it)\n`);
        if (flags.open) openBrowser(server.url);
        await server.done;
      } finally {
        interrupt.release();
        await probe?.stop();
        await reader.close();
      }
      return 0;
    }));
}
