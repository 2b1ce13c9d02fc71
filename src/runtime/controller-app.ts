/**
 * The failover controller's compiled code (dist/controller/*.js, node built-ins only) as a container
 * mounts it: under `<folder>/.failover-demo/controller-app` for Compose (the demo's Docker runtime and
 * `render --clusters --format compose`), or as files for a Kubernetes ConfigMap.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CONTROLLER_APP_DIR } from '../render/compose.js';
import type { RenderedFile } from '../render/files.js';
import { UserError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { PACKAGE_ROOT } from '../util/paths.js';

const CONTROLLER_DIST = join(PACKAGE_ROOT, 'dist', 'controller');
const PACKAGE_JSON = JSON.stringify({ name: 'failover-demo-controller', private: true, type: 'module' }, null, 2) + '\n';

function requireBuilt(): void {
  if (!existsSync(join(CONTROLLER_DIST, 'main.js'))) throw new UserError(`${CONTROLLER_DIST}/main.js is missing`, 'build the project first: `npm run build`');
}

/**
 * Puts the controller's compiled code where its container mounts it (<folder>/.failover-demo/
 * controller-app): dist/controller/*.js and a package.json that makes them ES modules.
 */
export function installControllerApp(folder: string): void {
  requireBuilt();
  const dir = join(folder, CONTROLLER_APP_DIR);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'dist'), { recursive: true });
  cpSync(CONTROLLER_DIST, join(dir, 'dist', 'controller'), { recursive: true });
  writeFileAtomic(join(dir, 'package.json'), PACKAGE_JSON);
}

/** The same code as files relative to the app folder (package.json, dist/controller/*.js; no source maps). */
export function controllerAppFiles(): RenderedFile[] {
  requireBuilt();
  const js = readdirSync(CONTROLLER_DIST).filter((f) => f.endsWith('.js')).sort();
  return [{ path: 'package.json', content: PACKAGE_JSON }, ...js.map((f) => ({ path: `dist/controller/${f}`, content: readFileSync(join(CONTROLLER_DIST, f), 'utf8') }))];
}
