import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { defaultTopology } from '../../src/config/topology.js';
import { renderFiles } from '../../src/render/files.js';
import { writeRenderedFiles } from '../../src/render/write.js';
import { Command, CommanderError } from 'commander';
import { register as registerRender } from '../../src/cli/commands/render.js';
import { register as registerConfig } from '../../src/cli/commands/config.js';
import { UserError } from '../../src/util/errors.js';

/** The two commands wired like src/cli/program.ts does (without the other commands' modules). */
async function main(argv: string[]): Promise<number> {
  const program = new Command('failover-demo').exitOverride();
  registerRender(program);
  registerConfig(program);
  program.commands.forEach((c) => c.exitOverride());
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof UserError) {
      process.stderr.write(`error: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fd-render-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const brokerDirs = (out: string) => readdirSync(join(out, 'redpanda-config')).sort();

describe('writeRenderedFiles', () => {
  // per-broker: compose file, envoy.yaml and the broker files only (coherent adds the controller's files)
  const perBroker = (brokers: number) => ({ ...defaultTopology({}), brokers, failover: { ...defaultTopology({}).failover, policy: 'per-broker' as const } });

  it('writes every file and removes broker folders it rendered earlier that the topology lost', () => {
    writeRenderedFiles(dir, renderFiles(perBroker(5)));
    expect(brokerDirs(dir)).toHaveLength(10);
    // a folder render did not write, and a rendered folder with a user's own file in it
    mkdirSync(join(dir, 'redpanda-config', 'primary-broker-7'));
    writeFileSync(join(dir, 'redpanda-config', 'primary-broker-7', 'redpanda.yaml'), 'redpanda: {}\n');
    writeFileSync(join(dir, 'redpanda-config', 'secondary-broker-4', 'notes.txt'), 'mine\n');

    const result = writeRenderedFiles(dir, renderFiles(perBroker(3)));
    expect(result.written).toHaveLength(2 + 12);
    expect(result.removed).toEqual(['redpanda-config/primary-broker-3', 'redpanda-config/primary-broker-4', 'redpanda-config/secondary-broker-3']);
    expect(result.kept).toEqual(['redpanda-config/secondary-broker-4']);
    expect(readdirSync(join(dir, 'redpanda-config', 'secondary-broker-4'))).toEqual(['notes.txt']);
    expect(existsSync(join(dir, 'redpanda-config', 'primary-broker-7', 'redpanda.yaml'))).toBe(true);
    expect(brokerDirs(dir)).toEqual([
      'primary-broker-0', 'primary-broker-1', 'primary-broker-2', 'primary-broker-7',
      'secondary-broker-0', 'secondary-broker-1', 'secondary-broker-2', 'secondary-broker-4',
    ]);
    // no temporary files left behind by the atomic writes
    const all = readdirSync(dir, { recursive: true }) as string[];
    expect(all.filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('failover-demo render / config (in-process, the commands as program.ts registers them)', () => {
  async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
    try {
      const code = await main(['node', 'failover-demo', ...args]);
      return { code, out, err };
    } finally {
      o.mockRestore();
      e.mockRestore();
      process.exitCode = undefined;
    }
  }

  it('render --out writes the files and lists them', async () => {
    const r = await run('render', '--out', dir, '--brokers', '1', '--rewrite', 'advertised');
    expect(r.code).toBe(0);
    expect(r.out).toContain('wrote   docker-compose.yml');
    expect(r.out).toContain('redpanda-config/secondary-broker-0/.bootstrap.yaml');
    expect(parse(readFileSync(join(dir, 'docker-compose.yml'), 'utf8')).services).toHaveProperty('primary-broker-0');
    expect(brokerDirs(dir)).toEqual(['primary-broker-0', 'secondary-broker-0']);
  });

  it('render writes nothing and exits non-zero when the configuration is invalid', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'brokers: 12\nhealthCheck: { interval: 3000 }\n');
    const out = join(dir, 'out');
    const r = await run('render', '--out', out, '--config', bad);
    expect(r.code).toBe(1);
    expect(r.err).toContain('brokers: expected a whole number from 1 to 9, got 12');
    expect(r.err).toContain('healthCheck.interval: durations need a unit');
    expect(existsSync(out)).toBe(false);
    const flagged = await run('render', '--out', out, '--brokers', '0');
    expect(flagged.code).toBe(1);
    expect(flagged.err).toContain('--brokers: expected a whole number from 1 to 9, got "0"');
    expect(existsSync(out)).toBe(false);
  });

  it('config prints the file form (durations as "3s"), config --json the topology', async () => {
    const human = await run('config', '--brokers', '2');
    expect(human.code).toBe(0);
    const doc = parse(human.out);
    expect(doc.brokers).toBe(2);
    expect(doc.healthCheck.interval).toBe('3s');
    const json = await run('config', '--json', '--rewrite', 'advertised');
    expect(JSON.parse(json.out)).toMatchObject({ rewrite: 'advertised', healthCheck: { intervalMs: 3000 } });
    const reference = await run('config', '--reference');
    expect(reference.out).toContain('healthCheck.unhealthyEdgeInterval');
  });

  it('each command has --help with an example', async () => {
    for (const cmd of ['render', 'config']) {
      const r = await run(cmd, '--help');
      expect(r.out).toContain('Example:');
      expect(r.out).toContain(`$ failover-demo ${cmd}`);
    }
  });
});
