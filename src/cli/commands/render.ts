import type { Command } from 'commander';
import { isAbsolute, resolve } from 'node:path';
import chalk from 'chalk';
import { resolveTopology, type TopologyFlags } from '../context.js';
import { loadClusters } from '../../config/clusters.js';
import { renderExternalFiles, renderFiles } from '../../render/files.js';
import { EXTERNAL_FORMATS, type ExternalFormat } from '../../render/external.js';
import { writeRenderedFiles, type WriteResult } from '../../render/write.js';
import { controllerAppFiles, installControllerApp } from '../../runtime/controller-app.js';
import { UserError } from '../../util/errors.js';
import { projectDir } from '../../util/paths.js';
import { returnsExitCode } from '../exit-code.js';
import { oneOf, parsedOption } from '../options.js';

interface RenderFlags extends TopologyFlags {
  out?: string;
  clusters?: string;
  format?: ExternalFormat;
  envoyDir?: string;
}

const parseFormat = oneOf(EXTERNAL_FORMATS, (text, flag) => new UserError(`${flag} must be one of ${EXTERNAL_FORMATS.join(', ')}, got "${text}"`));

function report(result: WriteResult): void {
  for (const path of result.written) process.stdout.write(`  ${chalk.dim('wrote')}   ${path}\n`);
  for (const path of result.removed) process.stdout.write(`  ${chalk.yellow('removed')} ${path}/ (no longer in the topology)\n`);
  for (const path of result.kept) {
    process.stdout.write(`  ${chalk.yellow('kept')}    ${path}/ (no longer in the topology, but holds other files)\n`);
  }
}

/** `render --clusters FILE`: users' own clusters; nothing is written when the file has a problem. */
function renderClusters(flags: RenderFlags, out: string): number {
  if (flags.config !== undefined || flags.brokers !== undefined || flags.rewrite !== undefined) {
    throw new UserError('--clusters renders from the clusters file alone', 'drop --config, --brokers and --rewrite: their keys go in the clusters file');
  }
  const setup = loadClusters(resolve(flags.clusters!));
  const format = flags.format ?? 'envoy';
  const coherent = setup.topology.failover.policy === 'coherent';
  if (flags.envoyDir !== undefined && format !== 'envoy') throw new UserError('--envoy-dir is for --format envoy', 'compose and kubernetes put the Envoy folder at /etc/envoy in the container');
  if (flags.envoyDir !== undefined && !isAbsolute(flags.envoyDir)) throw new UserError(`--envoy-dir must be an absolute path, got "${flags.envoyDir}"`, 'e.g. --envoy-dir /etc/envoy');
  const files = renderExternalFiles(setup, format, format === 'kubernetes' && coherent ? controllerAppFiles() : [], flags.envoyDir);
  const result = writeRenderedFiles(out, files, { pruneBrokers: false });
  if (format === 'compose' && coherent) {
    installControllerApp(out);
    result.written.push('.failover-demo/controller-app/ (the controller\'s code, mounted by its container)');
  }
  const t = setup.topology;
  process.stdout.write(`${chalk.green('rendered')} ${t.brokers} broker(s) per cluster, rewrite ${t.rewrite}, policy ${t.failover.policy}, format ${format}, into ${out}\n`);
  report(result);
  return 0;
}

export function register(program: Command): void {
  program
    .command('render')
    .description('Write docker-compose.yml, envoy-proxy/envoy.yaml and redpanda-config/* from the topology; with --clusters, Envoy and the controller for your own clusters')
    .option('--out <dir>', 'folder to write into (default: the project folder, FAILOVER_DEMO_DIR or the current folder)')
    .option('--config <file>', 'YAML config file with overrides of the defaults')
    .option('--brokers <n>', 'brokers per cluster, 1..9 (overrides the config file)')
    .option('--rewrite <strategy>', 'metadata rewrite strategy: kafka-filter | advertised (overrides the config file)')
    .option('--clusters <file>', 'YAML clusters file: render Envoy and the failover controller for your own two clusters (README "Your own clusters")')
    .option('--envoy-dir <dir>', 'with --clusters --format envoy: where the envoy-proxy folder will be on the machine that runs Envoy (default /etc/envoy)')
    .addOption(parsedOption('--format <format>', `with --clusters: what to write, ${EXTERNAL_FORMATS.join(' | ')} (default: envoy)`, parseFormat))
    .addHelpText(
      'after',
      `
Nothing is written when the configuration is invalid. Broker folders an earlier render wrote for
brokers the topology no longer has are removed.

With --clusters: --format envoy writes envoy-proxy/ (envoy.yaml, and under the coherent policy the
controller's controller.json and listener files), compose adds docker-compose.yml with Envoy and the
controller, kubernetes writes kubernetes/<name>.yaml (ConfigMaps, Deployment, Service).

Example:
  $ failover-demo render                              # the defaults, into the current folder
  $ failover-demo render --brokers 5 --rewrite advertised --out /tmp/demo
  $ failover-demo render --config my-demo.yaml
  $ failover-demo render --clusters examples/clusters.yaml --format kubernetes --out deploy/`,
    )
    .action(returnsExitCode((flags: RenderFlags) => {
      const out = resolve(flags.out ?? projectDir());
      if (flags.clusters !== undefined) return renderClusters(flags, out);
      if (flags.format !== undefined || flags.envoyDir !== undefined) throw new UserError(`${flags.format !== undefined ? '--format' : '--envoy-dir'} needs --clusters FILE`, 'the demo itself always renders docker-compose.yml, envoy-proxy/ and redpanda-config/');
      const topology = resolveTopology(flags);
      const result = writeRenderedFiles(out, renderFiles(topology));
      process.stdout.write(
        `${chalk.green('rendered')} ${topology.brokers} broker(s) per cluster, rewrite ${topology.rewrite}, into ${out}\n`,
      );
      report(result);
      return 0;
    }));
}
