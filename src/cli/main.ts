#!/usr/bin/env node
/** `failover-demo` entry point. */
import { main, reportError } from './program.js';

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
