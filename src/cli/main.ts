#!/usr/bin/env node
/**
 * `failover-demo` entry point, and the one place a command's exit code becomes the process's.
 *
 * Once the command has finished (long-running ones like `routing` finish on Ctrl+C) the process ends on
 * its own: commands close what they open. Should something still be open LINGER_MS later (a kafkajs
 * client still retrying, a timer racing a disconnect), it exits anyway rather than sit there for seconds
 * or minutes after the command said it was done; with FAILOVER_DEMO_DEBUG=1 it first names on stderr
 * what was still open. FAILOVER_DEMO_NO_FORCED_EXIT=1 turns that exit off (it still logs): how the tests
 * prove that a command closes what it opened (test/unit/cli-exits.test.ts).
 */
import { Socket } from 'node:net';
import { applyKafkajsFixes } from '../kafka/kafkajs-fixes.js';
import { main, reportError } from './program.js';

// The kafkajs fixes go in here, before any command creates a Kafka client. If they do not fit the installed
// kafkajs, the commands that use Kafka report it at their first client (createClient); the others still run.
try {
  applyKafkajsFixes();
} catch {
  // reported by createClient, see above
}

// A reader that closed the pipe (`failover-demo --help | head`) wants no more output: end quietly, as
// other command-line tools do, rather than crash on the unhandled EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

/** How long after the command finished the process may take to end by itself. */
const LINGER_MS = 500;

const debug = process.env.FAILOVER_DEMO_DEBUG === '1';
const forcedExit = process.env.FAILOVER_DEMO_NO_FORCED_EXIT !== '1';

function debugLog(text: string): void {
  if (debug) process.stderr.write(`failover-demo (debug): ${text}\n`);
}

/** What keeps the process alive, e.g. "Timeout ×2, TCPSocketWrap" (stdout and stderr left out). */
function openResources(): string {
  const kinds = process.getActiveResourcesInfo();
  for (const stream of [process.stdout, process.stderr]) {
    const kind = stream.isTTY ? 'TTYWrap' : stream instanceof Socket ? 'PipeWrap' : undefined;
    const at = kind === undefined ? -1 : kinds.indexOf(kind);
    if (at >= 0) kinds.splice(at, 1);
  }
  const counts = new Map<string, number>();
  for (const kind of kinds) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return [...counts].map(([kind, n]) => (n === 1 ? kind : `${kind} ×${n}`)).join(', ') || 'nothing reported';
}

const code = await main(process.argv).catch(reportError);
process.exitCode = code;
let forced = false;
if (debug) {
  debugLog(`command finished, exit code ${code}`);
  process.once('exit', () => forced || debugLog('exited on its own'));
}
if (forcedExit || debug) {
  setTimeout(() => {
    if (!forcedExit) return debugLog(`still running ${LINGER_MS} ms after the command finished; open: ${openResources()}`);
    debugLog(`forcing the exit ${LINGER_MS} ms after the command finished; still open: ${openResources()}`);
    forced = true;
    // Once stdout and stderr are flushed: a pipe's last write is not lost.
    process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
  }, LINGER_MS).unref();
}
