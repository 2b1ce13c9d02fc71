#!/usr/bin/env node
/** `failover-demo` entry point. */
import { applyKafkajsFixes } from '../kafka/kafkajs-fixes.js';
import { main, reportError } from './program.js';

// The kafkajs fixes go in here, before any command creates a Kafka client. If they do not fit the installed
// kafkajs, the commands that use Kafka report it at their first client (createClient); the others still run.
try {
  applyKafkajsFixes();
} catch {
  // reported by createClient, see above
}

/**
 * Every command has finished its work when main() settles (long-running ones like `routing` settle on
 * Ctrl+C). Exit then, once stdout is flushed, instead of waiting for idle keep-alive sockets (Docker's
 * API agent, kafkajs, undici) to time out: a finished drill once sat for minutes on one.
 */
function exitWith(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

main(process.argv).then(exitWith, (err) => exitWith(reportError(err)));
