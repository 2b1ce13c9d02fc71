import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The Docker tests have their own config and setup: `npm run test:docker`.
    exclude: [...configDefaults.exclude, 'test/docker/**'],
    // Stops any integration rig a crashed test file left running (see test/integration/rig.ts).
    globalSetup: ['test/global-setup.ts'],
    // The kafkajs fixes, applied as at every entry point that creates Kafka clients (src/kafka/kafkajs-fixes.ts).
    setupFiles: ['test/support/kafkajs-fixes-setup.ts'],
    // Integration tests start real Envoy / Kafka processes: run files one at a time.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 240_000,
    reporters: ['default'],
  },
});
