#!/usr/bin/env node
// @ts-check
// Installs Apache Kafka's jars (Maven Central) into the project-local cache. Idempotent. Needs `npm run build` first.
import { ensureJava, ensureKafka } from '#dist/util/installs.js';
import { consoleProgress, runScript } from './lib.mjs';

await runScript(async () => {
  await ensureJava();
  const libs = await ensureKafka(undefined, consoleProgress('install-kafka'));
  console.log(`install-kafka: ${libs}`);
});
