/**
 * The kafkajs 2.2.4 consumer fix (src/kafka/kafkajs-fixes.ts), on kafkajs' real Runner and FetchManager:
 * a consumer stopped while its fetchers are rebuilt (as during a failover) must finish stopping. Each case
 * runs in a child process, because the unfixed bug starves the event loop and no timer in that process fires.
 * Also the check before the fixes are applied: with the installed (pinned) kafkajs they apply, once; with
 * internals that lack a patched method, or another kafkajs version, the error names the fix and the versions.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/kafka/client.js';
import {
  applyKafkajsFixes,
  checkKafkajsFixable,
  KAFKAJS_FIXES_TARGET,
  kafkajsUnfixedRemoveBroker,
  loadKafkajsInternals,
  type KafkajsInternals,
} from '../../src/kafka/kafkajs-fixes.js';
import { UserError } from '../../src/util/errors.js';
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

/** Stand-ins for kafkajs' internals with every method a fix replaces, at the target version. */
function fakeInternals(): KafkajsInternals {
  return {
    version: KAFKAJS_FIXES_TARGET,
    Runner: { prototype: { running: false, fetch: async () => [] } },
    BrokerPool: { prototype: { seedBroker: undefined, removeBroker: () => undefined } },
  };
}

describe('kafkajs fixes: checked before they are applied', () => {
  it('package.json pins exactly the kafkajs version the fixes target', () => {
    const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies.kafkajs).toBe(KAFKAJS_FIXES_TARGET);
  });

  it('the installed kafkajs is that version and every fix applies, once', () => {
    const installed = loadKafkajsInternals();
    expect(installed.version).toBe(KAFKAJS_FIXES_TARGET);
    expect(checkKafkajsFixable(installed)).toBeUndefined();
    expect(applyKafkajsFixes()).toBe(true);
    expect(applyKafkajsFixes()).toBe(true);
    expect(installed.Runner?.prototype?.fetch?.name).toBe('patchedFetch');
    expect(installed.BrokerPool?.prototype?.removeBroker?.name).toBe('patchedRemoveBroker');
    // Applied once: what fix 2 wraps is kafkajs' own method, not an earlier wrapper.
    expect(kafkajsUnfixedRemoveBroker()?.name).toBe('removeBroker');
    expect(() => createClient({ brokers: ['127.0.0.1:1'], clientId: 'fixes-test', connectionTimeoutMs: 100, requestTimeoutMs: 100, retry: { retries: 0 } })).not.toThrow();
  });

  it('the stand-in internals pass (so the cases below fail for the one thing each removes)', () => {
    expect(checkKafkajsFixable(fakeInternals())).toBeUndefined();
  });

  it('without Runner.prototype.fetch: names fix 1, both versions and `npm ci`', () => {
    const internals = fakeInternals();
    internals.Runner = { prototype: {} };
    const err = checkKafkajsFixable(internals);
    expect(err).toBeInstanceOf(UserError);
    expect(err?.message).toContain('fix 1 (consumer stopped during a fetcher rebuild) needs Runner.prototype.fetch');
    expect(err?.message).toContain(`installed kafkajs ${KAFKAJS_FIXES_TARGET}, expected ${KAFKAJS_FIXES_TARGET}`);
    expect(err?.message).toContain('Reinstall with `npm ci`');
    expect(err?.message).not.toContain('removeBroker');
    expect(err?.hint).toContain('npm ci');
  });

  it('without BrokerPool.prototype.removeBroker: names fix 2', () => {
    const internals = fakeInternals();
    internals.BrokerPool = { prototype: {} };
    const err = checkKafkajsFixable(internals);
    expect(err?.message).toContain('fix 2 (producer seed broker kept on removeBroker) needs BrokerPool.prototype.removeBroker');
    expect(err?.message).toContain('kafkajs/src/cluster/brokerPool.js');
    expect(err?.message).not.toContain('fix 1');
  });

  it('modules that do not load at all: names both fixes', () => {
    const err = checkKafkajsFixable({ version: KAFKAJS_FIXES_TARGET });
    expect(err?.message).toContain('fix 1');
    expect(err?.message).toContain('fix 2');
  });

  it('another kafkajs version: reported even when every method is there', () => {
    const err = checkKafkajsFixable({ ...fakeInternals(), version: '2.3.0' });
    expect(err).toBeInstanceOf(UserError);
    expect(err?.message).toContain(`installed kafkajs 2.3.0, expected ${KAFKAJS_FIXES_TARGET}`);
    expect(err?.message).toContain('not the one the fixes were written for');
    expect(err?.message).toContain('Reinstall with `npm ci`');
    expect(err?.message).not.toContain('fix 1');
  });

  it('an unreadable version counts as a mismatch', () => {
    const err = checkKafkajsFixable({ ...fakeInternals(), version: undefined });
    expect(err?.message).toContain('installed kafkajs unknown');
  });
});
