#!/usr/bin/env node
/** `failover-demo` entry point. */
import { main, reportError } from './program.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.exitCode = reportError(err);
  },
);
