/**
 * The size limits docs/ARCHITECTURE.md states: every source file (src/, scripts/) under 350 lines, every
 * function under 80, except the exceptions it names with their reason (listed here too, so the two agree).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const MAX_FILE_LINES = 350;
const MAX_FUNCTION_LINES = 80;
/** "path" or "path:function name" → the reason, as docs/ARCHITECTURE.md gives it. */
const EXCEPTIONS: Record<string, string> = {};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.(ts|mjs)$/.test(f) ? [p] : [];
  });
}

const files = [...sources(join(ROOT, 'src')), ...sources(join(ROOT, 'scripts'))];
const rel = (p: string) => relative(ROOT, p);

/** Every function-like node of a file with its name and line count. */
function functions(file: string): { name: string; lines: number }[] {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, file.endsWith('.mjs') ? ts.ScriptKind.JS : ts.ScriptKind.TS);
  const out: { name: string; lines: number }[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      const named = (node as { name?: ts.Node }).name;
      const parent = node.parent;
      const name = named ? named.getText(sf) : ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) ? parent.name.getText(sf) : `(anonymous at line ${start + 1})`;
      out.push({ name, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

describe('size limits (docs/ARCHITECTURE.md)', () => {
  it(`every source file is under ${MAX_FILE_LINES} lines`, () => {
    const over = files.map((f) => ({ f: rel(f), lines: readFileSync(f, 'utf8').split('\n').length })).filter((x) => x.lines > MAX_FILE_LINES && !EXCEPTIONS[x.f]);
    expect(over.map((x) => `${x.f}: ${x.lines} lines`)).toEqual([]);
  });

  it(`every function is under ${MAX_FUNCTION_LINES} lines`, () => {
    const over = files.flatMap((f) => functions(f).filter((fn) => fn.lines > MAX_FUNCTION_LINES && !EXCEPTIONS[`${rel(f)}:${fn.name}`]).map((fn) => `${rel(f)}:${fn.name}: ${fn.lines} lines`));
    expect(over).toEqual([]);
  });

  it('names the same exceptions as docs/ARCHITECTURE.md', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'ARCHITECTURE.md'), 'utf8');
    for (const key of Object.keys(EXCEPTIONS)) expect(doc, key).toContain(`\`${key}\``);
  });
});
