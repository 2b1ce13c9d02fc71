/**
 * Recovery mode is a node property in each broker's redpanda.yaml (`redpanda.recovery_mode_enabled`).
 * We edit it ourselves (no yq): the `yaml` Document API keeps comments and layout, a bad file is
 * refused with a clear error and left untouched, and the write is atomic.
 */
import { readFileSync } from 'node:fs';
import { isMap, parseDocument, type Document } from 'yaml';
import { UserError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';

const KEY = ['redpanda', 'recovery_mode_enabled'] as const;

function parseOrThrow(text: string, file: string): Document {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!.message.split('\n')[0];
    throw new UserError(`${file} is not valid YAML: ${first}`, 'fix the file by hand, or run `failover-demo stop --volumes` and start again to re-render it');
  }
  if (!isMap(doc.contents) || !isMap(doc.get('redpanda', true))) {
    throw new UserError(`${file} has no \`redpanda:\` section`, 'this does not look like a Redpanda node config (redpanda.yaml)');
  }
  return doc;
}

/** redpanda.yaml text with recovery_mode_enabled set; comments, order and layout of everything else kept. */
export function withRecoveryMode(text: string, enabled: boolean, file = 'redpanda.yaml'): string {
  const doc = parseOrThrow(text, file);
  doc.setIn([...KEY], enabled);
  return doc.toString({ lineWidth: 0 });
}

/** Whether the redpanda.yaml text turns recovery mode on (only a literal `true` does, as in Redpanda). */
export function recoveryModeOf(text: string, file = 'redpanda.yaml'): boolean {
  return parseOrThrow(text, file).getIn([...KEY]) === true;
}

/** Sets recovery mode in a redpanda.yaml file in place (atomic write); returns the previous value. */
export function setRecoveryModeInFile(file: string, enabled: boolean): boolean {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'is the demo started? (`failover-demo start`)');
  }
  const before = recoveryModeOf(text, file);
  const after = withRecoveryMode(text, enabled, file);
  if (after !== text) writeFileAtomic(file, after);
  return before;
}

/** Reads recovery mode from a redpanda.yaml file; a missing file means off. */
export function readRecoveryMode(file: string): boolean {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  try {
    return recoveryModeOf(text, file);
  } catch {
    return false;
  }
}
