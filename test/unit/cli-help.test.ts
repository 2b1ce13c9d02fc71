import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';

function helpOf(name: string): string {
  const program = buildProgram();
  const command = program.commands.find((c) => c.name() === name)!;
  let out = '';
  command.configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
  command.outputHelp();
  return out;
}

describe('--help', () => {
  const names = buildProgram().commands.map((c) => c.name());

  it('lists every command of the contract', () => {
    for (const name of ['render', 'config', 'doctor', 'start', 'stop', 'status', 'routing', 'produce', 'consume', 'broker', 'fail-primary', 'restore-primary', 'fail-secondary', 'restore-secondary', 'recovery', 'timing', 'drill']) {
      expect(names).toContain(name);
    }
  });

  it.each(names)('%s has an example', (name) => {
    expect(helpOf(name)).toMatch(/Examples?:\n\s+\$ failover-demo /);
  });
});
