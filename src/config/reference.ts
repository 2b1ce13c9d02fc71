/**
 * The configuration reference, read off the schema (./schema.ts): every key as the config file writes
 * it, with its type in words and its doc line. `failover-demo config --reference` prints it, and the
 * README's table of keys is `configTable()` (test/unit/readme.test.ts keeps the two equal).
 */
import { z } from 'zod';
import { fileKeyOf, toConfigDocument } from './file-form.js';
import { topologyObject } from './schema.js';
import { keyInfo } from './schema-kit.js';
import { defaultTopology } from './topology.js';

export interface ConfigKeyReference {
  /** As written in the config file, e.g. `healthCheck.interval`, `topics[].name`. */
  path: string;
  /** What kind of value, e.g. "duration", "port", "kafka-filter | advertised". */
  type: string;
  doc: string;
}

/** One key of the schema, where it sits. */
export interface SchemaPath extends ConfigKeyReference {
  /** The key alone, as written in the file (`interval`). */
  key: string;
  /** Path of the section or list item holding it: '' at the top, `healthCheck`, `topics[]`. */
  parent: string;
  /** A duration: written without the topology's `Ms` suffix, with a unit. */
  duration: boolean;
}

function pathsOf(object: z.ZodObject<z.ZodRawShape>, parent: string): SchemaPath[] {
  return Object.entries(object.shape).flatMap(([topologyKey, schema]) => {
    const key = fileKeyOf(topologyKey, schema);
    const path = parent ? `${parent}.${key}` : key;
    const info = keyInfo(schema);
    const self: SchemaPath = {
      path,
      key,
      parent,
      type: info?.type ?? 'text',
      doc: schema.description ?? '',
      duration: info?.durationMinMs !== undefined,
    };
    if (schema instanceof z.ZodObject) return [self, ...pathsOf(schema, path)];
    if (schema instanceof z.ZodArray && schema.element instanceof z.ZodObject) return [self, ...pathsOf(schema.element, `${path}[]`)];
    return [self];
  });
}

/** Every key of a file of `object`'s form, sections included, in schema order. */
export function schemaPathsOf(object: z.ZodObject<z.ZodRawShape>): SchemaPath[] {
  return pathsOf(object, '');
}

let paths: SchemaPath[] | undefined;

/** Every key of the config file (`healthCheck.interval`, `topics[].name`, …), sections included, in schema order. */
export function schemaPaths(): SchemaPath[] {
  paths ??= schemaPathsOf(topologyObject);
  return paths;
}

/** Every key of the config file with its type and meaning (sections included), in schema order. */
export function configReference(): ConfigKeyReference[] {
  return schemaPaths().map(({ path, type, doc }) => ({ path, type, doc }));
}

/** The default of a key as the file writes it; undefined for sections' and list items' keys. */
function defaultAt(defaults: Record<string, unknown>, path: string): unknown {
  if (path.includes('[]')) return undefined;
  return path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], defaults);
}

const cell = (s: string) => s.replaceAll('|', '\\|');

/** The README's table of keys (Markdown): every key but the sections, with its type, default and meaning. */
export function configTable(env: Record<string, string | undefined> = {}): string {
  const defaults = toConfigDocument(defaultTopology(env));
  const rows = configReference()
    .filter((r) => r.type !== 'section')
    .map((r) => {
      const value = defaultAt(defaults, r.path);
      const shown = value === undefined ? '—' : `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;
      return `| \`${r.path}\` | ${cell(r.type)} | ${shown} | ${cell(r.doc)} |`;
    });
  return ['| key | type | default | meaning |', '|---|---|---|---|', ...rows].join('\n') + '\n';
}
