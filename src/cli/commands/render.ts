import type { Command } from 'commander';
import { resolve } from 'node:path';
import chalk from 'chalk';
import { resolveTopology, type TopologyFlags } from '../context.js';
import { renderFiles } from '../../render/files.js';
import { writeRenderedFiles } from '../../render/write.js';
import { projectDir } from '../../util/paths.js';
import { returnsExitCode } from '../exit-code.js';

interface RenderFlags extends TopologyFlags {
  out?: string;
}

export function register(program: Command): void {
  program
    .command('render')
    .description('Write docker-compose.yml, envoy-proxy/envoy.yaml and redpanda-config/* from the topology')
    .option('--out <dir>', 'folder to write into (default: the project folder, FAILOVER_DEMO_DIR or the current folder)')
    .option('--config <file>', 'YAML config file with overrides of the defaults')
    .option('--brokers <n>', 'brokers per cluster, 1..9 (overrides the config file)')
    .option('--rewrite <strategy>', 'metadata rewrite strategy: kafka-filter | advertised (overrides the config file)')
    .addHelpText(
      'after',
      `
Nothing is written when the configuration is invalid. Broker folders an earlier render wrote for
brokers the topology no longer has are removed.

Example:
  $ failover-demo render                              # the defaults, into the current folder
  $ failover-demo render --brokers 5 --rewrite advertised --out /tmp/demo
  $ failover-demo render --config my-demo.yaml`,
    )
    .action(returnsExitCode((flags: RenderFlags) => {
      const topology = resolveTopology(flags);
      const out = resolve(flags.out ?? projectDir());
      const result = writeRenderedFiles(out, renderFiles(topology));
      process.stdout.write(
        `${chalk.green('rendered')} ${topology.brokers} broker(s) per cluster, rewrite ${topology.rewrite}, into ${out}\n`,
      );
      for (const path of result.written) process.stdout.write(`  ${chalk.dim('wrote')}   ${path}\n`);
      for (const path of result.removed) process.stdout.write(`  ${chalk.yellow('removed')} ${path}/ (no longer in the topology)\n`);
      for (const path of result.kept) {
        process.stdout.write(`  ${chalk.yellow('kept')}    ${path}/ (no longer in the topology, but holds other files)\n`);
      }
      return 0;
    }));
}
