import type { Command } from 'commander';
import chalk from 'chalk';
import ora from 'ora';
import { currentState, resolveTopology, type TopologyFlags } from '../context.js';
import { dockerPreflight, localRuntimeNote, type CheckResult } from '../../runtime/docker/preflight.js';
import { localPreflight } from '../../runtime/local/preflight.js';
import { RUNTIME_KINDS, type RuntimeKind } from '../../runtime/types.js';
import { envoyConfigCheck } from '../../runtime/envoy-check.js';
import { UserError } from '../../util/errors.js';
import { returnsExitCode } from '../exit-code.js';
import { oneOf, parsedOption } from '../options.js';

interface DoctorFlags extends TopologyFlags {
  runtime?: RuntimeKind;
  json?: boolean;
}

const MARK: Record<CheckResult['level'], string> = { ok: chalk.green('✔'), warn: chalk.yellow('!'), error: chalk.red('✖') };

const runtimeKind = oneOf(RUNTIME_KINDS, (value) => new UserError(`--runtime must be one of ${RUNTIME_KINDS.join(', ')}, got "${value}"`));

export function register(program: Command): void {
  program
    .command('doctor')
    .description('Check that this machine can run the demo: Docker daemon, Compose v2, ports, images, memory, and that Envoy accepts the rendered configuration')
    .addOption(parsedOption('--runtime <kind>', 'docker | local (default: the running demo\'s runtime, else docker)', runtimeKind))
    .option('--config <file>', 'YAML config file with overrides of the defaults')
    .option('--json', 'print the checks as JSON')
    .addHelpText(
      'after',
      `
Exit code 0 when nothing failed (warnings, e.g. an image \`start\` will pull, pass), 1 otherwise.
\`start\` runs the same checks first. Every failed check names its fix.

Example:
  $ failover-demo doctor
  $ failover-demo doctor --runtime local --config my-demo.yaml`,
    )
    .action(returnsExitCode(async (flags: DoctorFlags) => {
      const state = currentState();
      const kind = flags.runtime ?? state?.runtime ?? 'docker';
      const topology = resolveTopology(flags);
      // On a running demo its own containers/processes hold the ports: not a problem.
      const skipPorts = state !== undefined && state.runtime === kind;
      const spinner = flags.json ? undefined : ora({ text: `checking the ${kind} runtime`, stream: process.stderr, isSilent: !process.stderr.isTTY }).start();
      let results: CheckResult[];
      try {
        results = kind === 'docker' ? await dockerPreflight(topology, { skipPorts }) : await localPreflight(topology, { skipPorts });
        results.push(await envoyConfigCheck(topology, kind, !results.some((r) => r.level === 'error' && /docker|compose|image/i.test(r.name))));
      } finally {
        spinner?.stop();
      }
      const failed = results.filter((r) => r.level === 'error').length;
      const note = localRuntimeNote(results);
      if (flags.json) {
        process.stdout.write(JSON.stringify({ runtime: kind, ok: failed === 0, checks: results, ...(note ? { note } : {}) }, null, 2) + '\n');
      } else {
        const width = Math.max(...results.map((r) => r.name.length));
        for (const r of results) {
          process.stdout.write(`${MARK[r.level]} ${r.name.padEnd(width)}  ${r.detail}\n`);
          if (r.fix && r.level !== 'ok') process.stdout.write(`  ${' '.repeat(width)}  ${chalk.dim('fix:')} ${r.fix}\n`);
        }
        process.stdout.write(
          failed === 0 ? chalk.green(`\nready to run the ${kind} runtime\n`) : chalk.red(`\n${failed} check(s) failed: fix them before \`failover-demo start\`\n`),
        );
        if (note) process.stdout.write(`${chalk.yellow(note)}\n`);
      }
      return failed > 0 ? 1 : 0;
    }));
}
