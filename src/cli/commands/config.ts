import type { Command } from 'commander';
import chalk from 'chalk';
import { stringify } from 'yaml';
import { currentState, resolveTopology, type TopologyFlags } from '../context.js';
import { toConfigDocument } from '../../config/load.js';
import { configReference } from '../../config/validate.js';
import { defaultTopology } from '../../config/topology.js';
import { returnsExitCode } from '../exit-code.js';

interface ConfigFlags extends TopologyFlags {
  json?: boolean;
  reference?: boolean;
}

function printReference(): void {
  const defaults = toConfigDocument(defaultTopology(process.env));
  const defaultAt = (path: string): unknown =>
    path.includes('[]') ? undefined : path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], defaults);
  for (const key of configReference()) {
    const value = defaultAt(key.path);
    const shown = key.type === 'section' ? '' : value === undefined ? '' : ` = ${chalk.cyan(JSON.stringify(value))}`;
    process.stdout.write(`${chalk.bold(key.path)} ${chalk.dim(`(${key.type})`)}${shown}\n    ${key.doc}\n`);
  }
}

export function register(program: Command): void {
  program
    .command('config')
    .description('Print the effective configuration (defaults, then --config file, then flags)')
    .option('--json', 'machine-readable: the topology as JSON (durations in milliseconds, keys ending in Ms)')
    .option('--reference', 'list every config file key with its type, default and meaning')
    .option('--config <file>', 'YAML config file with overrides of the defaults')
    .option('--brokers <n>', 'brokers per cluster, 1..9 (overrides the config file)')
    .option('--rewrite <strategy>', 'metadata rewrite strategy: kafka-filter | advertised (overrides the config file)')
    .addHelpText(
      'after',
      `
Without flags, a running demo's configuration is shown (the one it was started with).
The YAML output is itself a valid config file.

Example:
  $ failover-demo config
  $ failover-demo config --config my-demo.yaml --brokers 5 --json
  $ failover-demo config --reference`,
    )
    .action(returnsExitCode((flags: ConfigFlags) => {
      if (flags.reference) {
        printReference();
        return 0;
      }
      const topology = resolveTopology(flags);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(topology, null, 2)}\n`);
        return 0;
      }
      const overrides = [flags.brokers !== undefined && '--brokers', flags.rewrite !== undefined && '--rewrite'].filter(Boolean);
      const state = flags.config === undefined && overrides.length === 0 ? currentState() : undefined;
      const source = state
        ? `the running demo's (${state.runtime} runtime, started ${state.startedAt})`
        : [flags.config ? `defaults ← ${flags.config}` : 'defaults', ...overrides].join(' ← ');
      process.stdout.write(chalk.dim(`# effective configuration: ${source}\n`));
      process.stdout.write(stringify(toConfigDocument(topology), { lineWidth: 0, aliasDuplicateObjects: false }));
      return 0;
    }));
}
