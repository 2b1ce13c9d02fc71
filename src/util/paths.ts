/** Where things live on disk. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (holds package.json); dist/util/paths.js and src/util/paths.ts are two levels down. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The demo's working folder: rendered configs and the state folder live here.
 * FAILOVER_DEMO_DIR overrides; otherwise the current directory.
 */
export function projectDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.FAILOVER_DEMO_DIR || process.cwd());
}

/** Runtime state of a running demo (PIDs, logs, data, the remembered runtime). Git-ignored. */
export function stateDir(project: string = projectDir()): string {
  return join(project, '.failover-demo');
}

/**
 * Download cache (Envoy virtualenv, Kafka jars), project-local and git-ignored.
 * FAILOVER_DEMO_CACHE overrides.
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.FAILOVER_DEMO_CACHE || join(PACKAGE_ROOT, '.cache'));
}

export function isPackageRoot(dir: string): boolean {
  return existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src', 'config', 'topology.ts'));
}
