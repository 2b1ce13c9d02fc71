/**
 * The building blocks of the topology schema (./schema.ts): zod 3 types that carry the config file's
 * own messages ("expected a port number from 1 to 65535, got 70000") and what the configuration
 * reference says about each key (its doc line, its type in words).
 *
 * Every block is a plain zod type; its messages come from a zod error map, so whatever parses with it
 * (the config file, state.json) gets them. A block's doc is its zod description; its type in words and,
 * for a duration, its minimum are kept beside it (keyInfo).
 */
import { z } from 'zod';

/** What the reference says about a key besides its doc. */
export interface KeyInfo {
  /** e.g. "port", "integer 1..9", "kafka-filter | advertised", "section". */
  type: string;
  /** Set on durations (milliseconds in the topology, "3s" strings in the file): the smallest allowed. */
  durationMinMs?: number;
}

const INFO = new WeakMap<z.ZodTypeAny, KeyInfo>();

/** What `documented` recorded for a block of the schema. */
export function keyInfo(schema: z.ZodTypeAny | undefined): KeyInfo | undefined {
  return schema && INFO.get(schema);
}

function documented<T extends z.ZodTypeAny>(schema: T, doc: string, info: KeyInfo): T {
  const described = schema.describe(doc);
  INFO.set(described, info);
  return described;
}

/** A value as messages show it: "3s" quoted, 5, a list, a mapping, nothing. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `"${value}"`;
  return String(value);
}

export const NO_VALUE = 'has no value; give one or remove the key to use the default';

/**
 * Messages of a single value: a key written without a value, a key missing where it is required, and
 * otherwise "expected <what>, got <the value>" (one message whichever check failed).
 */
function valueErrors(what: string): z.ZodErrorMap {
  return (_issue, ctx) => ({
    message: ctx.data === null ? NO_VALUE : ctx.data === undefined ? 'is required' : `expected ${what}, got ${describeValue(ctx.data)}`,
  });
}

/** Messages of a section, list or list item: "expected <what>, got <the value>", nothing included. */
export function containerErrors(what: string, prefix = 'expected'): z.ZodErrorMap {
  return (_issue, ctx) => ({ message: `${prefix} ${what}, got ${describeValue(ctx.data)}` });
}

export function mappingOf(keys: readonly string[]): string {
  return `a mapping of keys (${keys.join(', ')})`;
}

/** A key that may be left out even where its siblings are required (in a list's items). */
export function optional<T extends z.ZodTypeAny>(block: T): z.ZodOptional<T> {
  return documented(block.optional(), block.description ?? '', keyInfo(block) ?? { type: 'value' });
}

export function port(doc: string) {
  return documented(z.number({ errorMap: valueErrors('a port number from 1 to 65535') }).int().min(1).max(65535), doc, { type: 'port' });
}

export function int(doc: string, min: number, max?: number) {
  const range = max === undefined ? `${min} or more` : `from ${min} to ${max}`;
  const atLeast = z.number({ errorMap: valueErrors(`a whole number ${range}`) }).int().min(min);
  const type = max === undefined ? `integer ≥ ${min}` : `integer ${min}..${max}`;
  return documented(max === undefined ? atLeast : atLeast.max(max), doc, { type });
}

/** A number that need not be whole. */
export function decimal(doc: string, min: number, max: number) {
  const what = `a number from ${min} to ${max}`;
  return documented(z.number({ errorMap: valueErrors(what) }).finite().min(min).max(max), doc, { type: `number ${min}..${max}` });
}

/**
 * A duration: whole milliseconds in the topology (its key ends in `Ms`); the config file writes it
 * without the suffix, as "3s" (see ./file-form.ts).
 */
export function duration(doc: string, minMs = 1) {
  const what = `a whole number of milliseconds, ${minMs} or more`;
  return documented(z.number({ errorMap: valueErrors(what) }).int().min(minMs), doc, { type: 'duration', durationMinMs: minMs });
}

export function flag(doc: string) {
  return documented(z.boolean({ errorMap: valueErrors('true or false') }), doc, { type: 'true | false' });
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T, doc: string) {
  const schema = z.enum(values, { errorMap: valueErrors(`one of ${values.join(', ')}`) });
  return documented(schema, doc, { type: values.join(' | ') });
}

/** What a text value must look like: the test, and the message when it fails ("expected …"). */
export interface TextRule {
  test: (value: string) => boolean;
  expected: string;
}

/** Text; `label` is what the reference calls it ("IP address"), "text" when absent. */
export function text(doc: string, rule?: TextRule, label = 'text'): z.ZodType<string> {
  const base = z.string({ errorMap: valueErrors('text') });
  const checked = rule ? base.refine(rule.test, (v) => ({ message: `${rule.expected}, got ${describeValue(v)}` })) : base;
  return documented(checked, doc, { type: label });
}

/** A group of keys; unknown keys are refused (a misspelt key would otherwise be ignored). */
export function section<S extends z.ZodRawShape>(doc: string, shape: S) {
  const schema = z.object(shape, { errorMap: containerErrors(mappingOf(Object.keys(shape))) }).strict();
  return documented(schema, doc, { type: 'section' });
}

export function list<T extends z.ZodTypeAny>(doc: string, item: T) {
  return documented(z.array(item, { errorMap: containerErrors('a list') }), doc, { type: 'list' });
}
