/**
 * The kafkajs fixes are applied explicitly, by each entry point (src/kafka/kafkajs-fixes.ts): a process
 * that creates a Kafka client without applyKafkajsFixes() gets an Error naming the missing call and the
 * kafkajs version, never a client that runs unfixed. (This test run's setup file applied them: a fresh
 * module graph stands for a process that did not.)
 */
import { describe, expect, it, vi } from 'vitest';

describe('kafkajs fixes: applied at the entry point', () => {
  it('in this test process, the setup file applied them', async () => {
    const { assertKafkajsFixesApplied } = await import('../../src/kafka/kafkajs-fixes.js');
    expect(() => assertKafkajsFixesApplied()).not.toThrow();
  });

  it('a process that never applied them cannot create a client', async () => {
    vi.resetModules();
    const { createClient } = await import('../../src/kafka/client.js');
    const { KAFKAJS_FIXES_TARGET } = await import('../../src/kafka/kafkajs-fixes.js');
    const create = () => createClient({ brokers: ['127.0.0.1:1'], clientId: 'entry-test', connectionTimeoutMs: 100, requestTimeoutMs: 100, retry: { retries: 0 } });
    expect(create).toThrow(`the kafkajs ${KAFKAJS_FIXES_TARGET} fixes are not applied in this process: call applyKafkajsFixes()`);
    vi.resetModules();
  });
});
