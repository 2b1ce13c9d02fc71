import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configReference } from '../../src/config/validate.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';

const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');

describe('README', () => {
  it('documents every configuration key', () => {
    const missing = configReference()
      .filter((r) => r.type !== 'section')
      .map((r) => r.path)
      .filter((path) => !readme.includes(`| \`${path}\` |`));
    expect(missing).toEqual([]);
  });

  it('shows the setup and the test command', () => {
    expect(readme).toContain('npm ci');
    expect(readme).toContain('npm test');
  });
});
