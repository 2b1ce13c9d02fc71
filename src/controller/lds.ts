/**
 * The listener file Envoy loads through file-based LDS, and the two pre-rendered choices for it.
 * I/O: reads and atomically replaces files; `identifyChoice` alone is pure.
 *
 * Envoy watches the folder of `lds.file` (`watched_directory`) and reloads when a file is moved into
 * it, so a change is made by writing `<dir>/.<name>.tmp-<pid>` in that same folder, fsyncing it and
 * renaming it over `lds.file`: Envoy never sees a half-written file.
 */
import { open, readFile, rename, rm, mkdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ClusterName } from './config.js';

/** The file's bytes, or undefined when it does not exist. */
export async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Which choice `current` holds: a cluster, 'missing' (no file) or 'other' (neither choice's bytes). */
export function identifyChoice(current: Buffer | undefined, choices: Record<ClusterName, Buffer>): ClusterName | 'missing' | 'other' {
  if (current === undefined) return 'missing';
  if (current.equals(choices.primary)) return 'primary';
  if (current.equals(choices.secondary)) return 'secondary';
  return 'other';
}

/** Replaces `file` with `bytes` in one rename (temp file in the same folder, fsynced first). */
export async function atomicWrite(file: string, bytes: Buffer): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(file)}.tmp-${process.pid}`);
  try {
    const fh = await open(tmp, 'w', 0o644);
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  // Make the rename itself durable; not every platform lets a folder be fsynced.
  try {
    const dh = await open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  } catch {
    /* best effort */
  }
}

/** Reads both choice files. @throws when one is missing or unreadable */
export async function readChoices(choices: Record<ClusterName, string>): Promise<Record<ClusterName, Buffer>> {
  const [primary, secondary] = await Promise.all([readFile(choices.primary), readFile(choices.secondary)]);
  return { primary, secondary };
}

/**
 * Makes `file` hold the choice of `cluster` (re-read now, so a re-rendered choice is picked up).
 * @returns true when the file was rewritten, false when it already held that choice
 */
export async function ensureChoice(file: string, choices: Record<ClusterName, string>, cluster: ClusterName): Promise<boolean> {
  const [want, have] = await Promise.all([readFile(choices[cluster]), readIfExists(file)]);
  if (have?.equals(want)) return false;
  await atomicWrite(file, want);
  return true;
}
