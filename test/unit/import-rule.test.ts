/**
 * The layering docs/ARCHITECTURE.md states, checked on every import in src/: a folder imports only from
 * folders below it (or from itself); the controller and the supervisor import only node: built-ins and
 * their own files (they run alone: in a container that has only node, as the local runtime's supervisor);
 * others may import their types only (the file formats they write).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

/** Lower first; folders on the same step may not import each other. */
export const LAYERS: readonly (readonly string[])[] = [['util'], ['config'], ['render'], ['envoy', 'kafka'], ['standin', 'replication'], ['runtime'], ['drill'], ['cli']];
const STANDALONE = ['controller', 'supervisor'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const topFolder = (file: string) => relative(SRC, file).split('/')[0]!;
const step = (folder: string) => LAYERS.findIndex((l) => l.includes(folder));

/** Every import (also `import type` and re-exports) of a file, relative ones resolved to a path under src. */
function imports(file: string): { spec: string; target: string; typeOnly: boolean }[] {
  const text = readFileSync(file, 'utf8');
  const re = /^(?:import|export)(\s+type)?\s+(?:\{[^}]*\}|\*(?:\s+as\s+\w+)?|\w+(?:\s*,\s*\{[^}]*\})?)\s+from\s+'([^']+)'/gm;
  return [...text.matchAll(re)].map((m) => {
    const spec = m[2]!;
    return { spec, target: spec.startsWith('.') ? resolve(dirname(file), spec) : spec, typeOnly: m[1] !== undefined };
  });
}

describe('the import rule (docs/ARCHITECTURE.md)', () => {
  const all = files(SRC);

  it('every top-level folder of src/ has a place in the layering', () => {
    const folders = [...new Set(all.map(topFolder))].filter((f) => !f.endsWith('.ts'));
    for (const f of folders) expect(step(f) >= 0 || STANDALONE.includes(f), `src/${f} is in no layer`).toBe(true);
  });

  it('each folder imports only from itself and the folders below it', () => {
    const bad: string[] = [];
    let seen = 0;
    for (const file of all) {
      const from = topFolder(file);
      seen += imports(file).length;
      if (STANDALONE.includes(from)) continue;
      for (const { spec, target, typeOnly } of imports(file)) {
        if (!target.startsWith(SRC)) continue;
        const to = topFolder(target);
        if (to === from) continue;
        // The file formats a standalone part writes (the supervisor's state) may be read by type.
        if (STANDALONE.includes(to) ? !typeOnly : step(to) >= step(from)) bad.push(`${relative(SRC, file)} imports ${spec} (${from} → ${to})`);
      }
    }
    expect(seen, 'imports the parser found (a parser that finds none checks nothing)').toBeGreaterThan(300);
    expect(bad).toEqual([]);
  });

  it('the controller and the supervisor import only node: built-ins and their own folder', () => {
    const bad: string[] = [];
    for (const file of all.filter((f) => STANDALONE.includes(topFolder(f)))) {
      for (const { spec, target } of imports(file)) {
        const own = target.startsWith(SRC) && topFolder(target) === topFolder(file);
        if (!own && !spec.startsWith('node:')) bad.push(`${relative(SRC, file)} imports ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
