import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configTable } from '../../src/config/reference.js';
import { configReference } from '../../src/config/validate.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';

const README = join(PACKAGE_ROOT, 'README.md');
const readme = readFileSync(README, 'utf8');

/** README.md with its table of keys replaced by `table` (the table runs from its header to a blank line). */
function withTable(text: string, table: string): string {
  const start = text.indexOf(table.slice(0, table.indexOf('\n') + 1));
  const end = text.indexOf('\n\n', start);
  if (start < 0 || end < 0) throw new Error('README.md has no table of configuration keys');
  return text.slice(0, start) + table + text.slice(end + 1);
}

describe('README', () => {
  it('documents every configuration key', () => {
    const missing = configReference()
      .filter((r) => r.type !== 'section')
      .map((r) => r.path)
      .filter((path) => !readme.includes(`| \`${path}\` |`));
    expect(missing).toEqual([]);
  });

  it('has the table of keys generated from the schema (UPDATE_README=1 rewrites it)', () => {
    const table = configTable();
    let text = readme;
    if (process.env.UPDATE_README && !text.includes(table)) writeFileSync(README, (text = withTable(text, table)));
    expect(text.includes(table), `README.md's table of keys differs from the schema's; run UPDATE_README=1 npx vitest run test/unit/readme.test.ts\n${table}`).toBe(true);
  });

  it('shows the setup and the test command', () => {
    expect(readme).toContain('npm ci');
    expect(readme).toContain('npm test');
  });
});
