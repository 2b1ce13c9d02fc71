/**
 * The config file's form of the topology schema, derived from it (./schema.ts), and the way back.
 *
 * In the file every key is optional (the defaults fill the rest) except inside a list item; a section
 * written with all its keys commented out (null) counts as empty; a duration's key drops the `Ms`
 * suffix and its value is a string with a unit ("3s", "500ms"), parsed to milliseconds. Parsing a
 * document with `configFileSchema` gives a partial topology in the topology's own keys.
 */
import { z } from 'zod';
import { DURATION_EXAMPLES, formatDuration, parseDuration } from './duration.js';
import { topologyObject } from './schema.js';
import { containerErrors, describeValue, keyInfo, mappingOf, NO_VALUE } from './schema-kit.js';
import type { Topology } from './topology.js';

/** The key a topology key is written as in the file: `intervalMs` → `interval` for a duration. */
export function fileKeyOf(key: string, schema: z.ZodTypeAny | undefined): string {
  return keyInfo(schema)?.durationMinMs === undefined ? key : key.replace(/Ms$/, '');
}

/** Why a duration's value is not one: a bare number gets the fix written out for its own key. */
function durationTypeMessage(path: (string | number)[], value: unknown): string {
  if (value === null) return NO_VALUE;
  if (typeof value === 'number') {
    const key = String(path.at(-1));
    const fix =
      Number.isInteger(value) && value >= 100
        ? `${key}: ${formatDuration(value)} if you mean ${value} milliseconds`
        : `${key}: ${value}s if you mean seconds`;
    return `durations need a unit: write ${fix}, not a bare number (forms: ${DURATION_EXAMPLES})`;
  }
  return `expected a duration such as ${DURATION_EXAMPLES}, got ${describeValue(value)}`;
}

/** A duration as the file writes it, parsed to milliseconds. */
function durationText(minMs: number) {
  return z.string({ errorMap: (issue, ctx) => ({ message: durationTypeMessage(issue.path, ctx.data) }) }).transform((written, ctx) => {
    const ms = parseDuration(written);
    const problem =
      ms === undefined
        ? `expected a duration such as ${DURATION_EXAMPLES}, got ${describeValue(written)}`
        : ms < minMs
          ? `must be at least ${formatDuration(minMs)}, got ${describeValue(written)}`
          : undefined;
    if (problem === undefined) return ms!;
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
    return z.NEVER;
  });
}

export type AnyObject = z.ZodObject<z.ZodRawShape>;

/**
 * The file form of one topology object: its keys as written, each optional (`keysOptional`) or not,
 * strict, giving back the topology's keys. `wrongType` is the start of the message for a non-mapping.
 */
function objectForm(schema: AnyObject, keysOptional: boolean, wrongType = 'expected'): z.ZodTypeAny {
  const topologyKeys: Record<string, string> = {};
  const shape: z.ZodRawShape = {};
  for (const [key, child] of Object.entries(schema.shape)) {
    const fileKey = fileKeyOf(key, child);
    topologyKeys[fileKey] = key;
    const form = valueForm(child);
    shape[fileKey] = keysOptional || child.isOptional() ? form.optional() : form;
  }
  const errorMap = containerErrors(mappingOf(Object.keys(shape)), wrongType);
  return z
    .object(shape, { errorMap })
    .strict()
    .transform((read) => Object.fromEntries(Object.entries(read).map(([k, v]) => [topologyKeys[k]!, v])));
}

function valueForm(schema: z.ZodTypeAny): z.ZodTypeAny {
  const minMs = keyInfo(schema)?.durationMinMs;
  if (minMs !== undefined) return durationText(minMs);
  // A section with every key commented out reads as null: the same as leaving it out.
  if (schema instanceof z.ZodObject) return z.preprocess((v) => v ?? {}, objectForm(schema as AnyObject, true));
  if (schema instanceof z.ZodArray) return z.array(objectForm(schema.element as AnyObject, false), { errorMap: containerErrors('a list') });
  return schema;
}

/** A whole file of `schema`'s form (an empty one is all defaults), parsed to a partial object in its keys. */
export function documentSchemaOf(schema: AnyObject): z.ZodType<Record<string, unknown>, z.ZodTypeDef, unknown> {
  return z.preprocess((v) => v ?? {}, objectForm(schema, true, 'the file must be'));
}

/** A whole config file (an empty one is all defaults), parsed to a partial topology. */
export const configFileSchema = documentSchemaOf(topologyObject);

/** `value` in the file's form, following `schema` where it matches (anything else is left as it is). */
function toFileForm(value: unknown, schema: z.ZodTypeAny | undefined): unknown {
  if (Array.isArray(value)) return value.map((v) => toFileForm(v, schema instanceof z.ZodArray ? schema.element : undefined));
  if (!value || typeof value !== 'object') return value;
  const shape: z.ZodRawShape = schema instanceof z.ZodObject ? (schema as AnyObject).shape : {};
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => {
      const child = shape[k];
      const isDuration = keyInfo(child)?.durationMinMs !== undefined && typeof v === 'number';
      return isDuration ? [fileKeyOf(k, child), formatDuration(v as number)] : [k, toFileForm(v, child)];
    }),
  );
}

/**
 * The topology in the config file's form (durations as "3s" strings, keys without `Ms`): what
 * `failover-demo config` shows, and a valid config file itself.
 */
export function toConfigDocument(t: Topology): Record<string, unknown> {
  return toFileForm(t, topologyObject) as Record<string, unknown>;
}

/** Like toConfigDocument, for a value that may not be a topology at all (a damaged state file). */
export function toConfigDocumentLoosely(value: unknown): unknown {
  return toFileForm(value, topologyObject);
}
