// `npm run test:docker`: the Docker runtime against a real Docker engine with locally built stand-in
// images (see scripts/docker/). Kept out of the main `npm test`; global-setup.ts provides the engine,
// Compose v2 and the images, and stops a dockerd it started when the run ends.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/docker/**/*.test.ts'],
    globalSetup: ['test/docker/global-setup.ts'],
    // The kafkajs fixes, applied as at every entry point that creates Kafka clients (src/kafka/kafkajs-fixes.ts).
    setupFiles: ['test/support/kafkajs-fixes-setup.ts'],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 600_000,
    reporters: ['default'],
  },
});
