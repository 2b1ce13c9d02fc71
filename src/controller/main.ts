/**
 * The failover controller process: `node dist/controller/main.js --config FILE`.
 *
 * Exit codes: 0 after SIGTERM/SIGINT (a clean stop), 2 for a bad command line or config (one line
 * naming the key and the problem), 1 when it cannot start (port taken, choice files unreadable).
 * Logs go to stderr, one line each with an ISO timestamp.
 *
 * Like everything under src/controller/, it imports only `node:` built-ins and its own folder: the
 * compiled folder runs alone in a container that has nothing but node.
 */
import { ConfigError, loadConfig, type ControllerConfig } from './config.js';
import { Controller } from './service.js';

const USAGE = 'usage: node main.js --config FILE';

/** The config file named on the command line. @throws Error with a usage line */
export function configPathFromArgs(argv: readonly string[]): string {
  let path: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--config') {
      path = argv[++i];
      if (path === undefined || path === '') throw new Error(`--config needs a file; ${USAGE}`);
    } else if (a.startsWith('--config=')) {
      path = a.slice('--config='.length);
    } else if (a === '--help' || a === '-h') {
      throw new Error(USAGE);
    } else {
      throw new Error(`unknown argument ${JSON.stringify(a)}; ${USAGE}`);
    }
  }
  if (!path) throw new Error(`--config FILE is required; ${USAGE}`);
  return path;
}

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString()} controller: ${line}\n`);
}

async function main(): Promise<void> {
  let config: ControllerConfig;
  try {
    config = loadConfig(configPathFromArgs(process.argv.slice(2)));
  } catch (err) {
    const text = err instanceof ConfigError ? `controller: bad config: ${err.message}` : `controller: ${(err as Error).message}`;
    process.stderr.write(`${text}\n`);
    process.exit(2);
  }

  const controller = new Controller(config, { log });
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    controller.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log(`stop failed: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  try {
    await controller.start();
  } catch (err) {
    log(`cannot start: ${(err as Error).message}`);
    process.exit(1);
  }
  const { address, port } = controller.address();
  log(
    `policy coherent, quorum ${config.quorum}, failback ${config.failback} (hold ${config.failbackHoldMs} ms), ` +
      `polling ${config.adminUrl} every ${config.pollMs} ms; API on http://${address}:${port}`,
  );
}

await main();
