/**
 * A src/ folder transpiled alone into a temp folder (TypeScript → ES modules, no type check): how the
 * process tests run the controller and the supervisor, as they are deployed, importing nothing else.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/** Transpiles every .ts file of `srcDir` into `outDir`, as .js. */
export function transpileFolder(srcDir: string, outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  for (const f of readdirSync(srcDir).filter((f) => f.endsWith('.ts'))) {
    const out = ts.transpileModule(readFileSync(join(srcDir, f), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
      fileName: f,
    });
    writeFileSync(join(outDir, f.replace(/\.ts$/, '.js')), out.outputText);
  }
}
