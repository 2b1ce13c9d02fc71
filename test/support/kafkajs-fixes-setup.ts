// Vitest setup file (vitest.config.ts, test/docker/vitest.config.ts): each test file's process is an entry
// point that creates Kafka clients in-process (runtimes, drills, producers), so the kafkajs fixes go in
// first, as in src/cli/main.ts. If they do not fit the installed kafkajs, the tests that create a Kafka
// client fail at it (createClient) and test/unit/kafkajs-fixes.test.ts says why; the others still run.
import { applyKafkajsFixes } from '../../src/kafka/kafkajs-fixes.js';

try {
  applyKafkajsFixes();
} catch {
  // reported by createClient, see above
}
