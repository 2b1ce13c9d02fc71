/**
 * Putting rendered files on disk: atomic writes, and removal of broker config folders an earlier
 * `render` wrote for brokers the topology no longer has (e.g. after `--brokers 5` then `--brokers 3`).
 */
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fs.js';
import type { RenderedFile } from './files.js';

/** Text every rendered file's first line carries; how `render` recognises files it wrote itself. */
export const RENDERED_MARKER = 'rendered by `failover-demo render`';

const BROKER_DIR_RE = /^(primary|secondary)-broker-\d+$/;
const BROKER_FILES = ['redpanda.yaml', '.bootstrap.yaml'];

export interface WriteResult {
  written: string[];
  /** Stale broker config folders removed (relative paths). */
  removed: string[];
  /** Stale folders left in place because they hold files render did not write. */
  kept: string[];
}

function renderedByUs(file: string): boolean {
  try {
    const firstLine = readFileSync(file, 'utf8').split('\n', 1)[0] ?? '';
    return firstLine.toLowerCase().includes(RENDERED_MARKER.toLowerCase());
  } catch {
    return false;
  }
}

/** Broker config folders under outDir/redpanda-config that render wrote earlier and `files` no longer has. */
export function staleBrokerDirs(outDir: string, files: RenderedFile[]): string[] {
  const root = join(outDir, 'redpanda-config');
  if (!existsSync(root)) return [];
  const current = new Set(files.map((f) => f.path.split('/').slice(0, 2).join('/')));
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && BROKER_DIR_RE.test(d.name))
    .map((d) => `redpanda-config/${d.name}`)
    .filter((rel) => !current.has(rel) && renderedByUs(join(outDir, rel, 'redpanda.yaml')))
    .sort();
}

/** `pruneBrokers: false`: leave broker folders alone (files that hold no brokers, such as `render --clusters`). */
export function writeRenderedFiles(outDir: string, files: RenderedFile[], opts: { pruneBrokers?: boolean } = {}): WriteResult {
  const result: WriteResult = { written: [], removed: [], kept: [] };
  for (const f of files) {
    writeFileAtomic(join(outDir, f.path), f.content);
    result.written.push(f.path);
  }
  for (const rel of opts.pruneBrokers === false ? [] : staleBrokerDirs(outDir, files)) {
    const dir = join(outDir, rel);
    for (const name of BROKER_FILES) rmSync(join(dir, name), { force: true });
    if (readdirSync(dir).length === 0) {
      rmdirSync(dir);
      result.removed.push(rel);
    } else {
      result.kept.push(rel);
    }
  }
  return result;
}
