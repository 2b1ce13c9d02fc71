/**
 * The kafkajs 2.2.4 consumer fix (src/kafka/kafkajs-fixes.ts), on kafkajs' real Runner and FetchManager:
 * a consumer stopped while its fetchers are rebuilt (as during a failover) must finish stopping. Each case
 * runs in a child process, because the unfixed bug starves the event loop and no timer in that process fires.
 */
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/util/paths.js';

const child = join(PACKAGE_ROOT, 'test', 'support', 'kafkajs-stop-race.mjs');
const run = (variant: 'fixed' | 'unfixed', timeout: number) =>
  execa(process.execPath, [child, variant], { reject: false, timeout, cwd: PACKAGE_ROOT });

describe('kafkajs fix: stop during a fetcher rebuild', () => {
  it('with the fix, Runner.stop() returns', async () => {
    const r = await run('fixed', 20_000);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toBe('stopped');
  });

  it('without it, kafkajs spins and stop() never returns (the bug the fix is for is real)', async () => {
    const r = await run('unfixed', 4_000);
    expect(r.timedOut).toBe(true);
    expect(r.stdout).not.toContain('stopped');
  });
});
