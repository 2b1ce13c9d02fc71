/**
 * The lines of a part's log that name the problem, for error messages: when Envoy, a broker or its
 * supervisor exits during start, a person needs the two or three lines that say why, not 1,000 lines of
 * Kafka's config listing or Envoy's whole configuration printed as one JSON line.
 *
 * Log formats read here (fixtures: test/fixtures/logs, captured by scripts/capture-failure-logs.mjs):
 *  - Envoy: `[2026-11-29 12:19:05.163][24494][critical][main] [source/server/server.cc:449] message`;
 *    critical and error lines, and warnings that say a config update failed or was rejected (a listener
 *    file Envoy could not load). Envoy puts the configuration into some messages: as one JSON line
 *    (`Unable to parse JSON as proto (…): {"static_resources":…}`), or as a multi-line text proto after
 *    `goo.gle/debugproto`, the cause following on a line starting with ": ". Both are left out.
 *  - Apache Kafka (log4j, the stand-in's layout `[%d] %p %m (%c)`): ERROR and FATAL lines; Java exception
 *    lines (`org.apache…Exception: …`, `Caused by: …`), not their stack frames.
 *  - Redpanda: `ERROR 2026-11-29 12:00:00,000 [shard 0:main] main - application.cc:426 - …`.
 *  - The broker stand-in (`[standin <iso time>] error: …`, `Kafka exited (code 1)`) and the supervisor
 *    (`<iso time> supervise: … exited with code 1 …`, `… giving up`, `cannot run …`).
 *  - `docker run` (`docker: Error response from daemon: …`) and generic `Error: …` lines.
 */

export interface ExcerptOptions {
  /** At most this many lines (default 12). */
  maxLines?: number;
  /** Longer lines are cut to this many characters, ending in '…' (default 300). */
  maxLineLength?: number;
  /** When no line names a problem: this many last lines (default 5). */
  fallbackLines?: number;
}

const DEFAULTS = { maxLines: 12, maxLineLength: 300, fallbackLines: 5 };
/** Longest cause oneLineCause() returns. */
export const CAUSE_MAX_LENGTH = 240;

const ENVOY_LINE = /^\[\d{4}-\d\d-\d\d [\d:.]+\]\[\d+\]\[(\w+)\]\[([\w-]+)\] (?:\[[^\]]*\] )?(.*)$/;
const LOG4J_LINE = /^\[\d{4}-\d\d-\d\d [\d:,.]+\] (ERROR|FATAL) (.*)$/;
const REDPANDA_LINE = /^(ERROR|FATAL|CRITICAL)\s+\d{4}-\d\d-\d\d [\d:,.]+ (?:\[[^\]]*\] )?(?:\S+ - )?(?:[\w.-]+:\d+ - )?(.*)$/;
const EXCEPTION_LINE = /^(Caused by: )?(?:Exception in thread "[^"]*" )?((?:[A-Za-z_$][\w$]*\.)+([\w$]*(?:Exception|Error)))(?::\s*(.*))?$/;
const STANDIN_LINE = /^\[standin [^\]]*\] (.*)$/;
const SUPERVISOR_LINE = /^\S+ supervise: (.*)$/;
const DOCKER_LINE = /^(?:docker: )?(Error response from daemon: .*|Cannot connect to the Docker daemon.*|invalid reference format.*|Unable to find image .*)$/;
const GENERIC_ERROR = /^(?:error|fatal)(?::|\s)\s*\S/i;

const envoyFailure = (level: string, msg: string) =>
  level === 'critical' || level === 'error' || (level === 'warning' && /config update failure|rejected|update failed/i.test(msg));
const standinFailure = (msg: string) => /^error: |failed|^Kafka exited \((code [1-9]|SIG(KILL|SEGV|ABRT|BUS))/.test(msg);
/** Not a stop on purpose (`… was killed by SIGTERM after SIGTERM: exiting 0`). */
const supervisorFailure = (msg: string) => /giving up|cannot run|exited with code [1-9]|was killed by/.test(msg) && !/ after SIG\w+: exiting 0/.test(msg);

const collapse = (s: string) => s.replace(/\s+/g, ' ').trim();
// eslint-disable-next-line no-control-regex
const stripAnsi = (s: string) => s.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');

/** Cuts `line` to `max` characters, ending in '…'. */
export function cutLine(line: string, max: number): string {
  return line.length <= max ? line : `${line.slice(0, Math.max(0, max - 1))}…`;
}

/**
 * Cuts `line` to `max` characters by leaving out its middle ('…'): a failure message usually ends with
 * its cause ("… failed to bind to 127.0.0.1:9092: Address already in use"), so the end is kept longer.
 */
export function cutMiddle(line: string, max: number): string {
  if (line.length <= max) return line;
  const head = Math.floor((max - 1) * 0.4);
  return `${line.slice(0, head)}…${line.slice(line.length - (max - 1 - head))}`;
}

/** Index of the bracket closing the one at `open` ({ or [ or ( ), skipping JSON strings; -1 when unclosed. */
function closingBracket(text: string, open: number): number {
  let depth = 0;
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[' || c === '(') depth++;
    else if ((c === '}' || c === ']' || c === ')') && --depth === 0) return i;
  }
  return -1;
}

/** A JSON document inside a line (a config dump, ≥ 80 characters) becomes `{…}`; the text around it stays. */
export function dropConfigDump(line: string): string {
  const start = /(^|[\s:(`])[{[]\s*["{[]/.exec(line);
  if (!start) return line;
  const at = start.index + start[1]!.length;
  const end = closingBracket(line, at);
  const dumpEnd = end === -1 ? line.length : end + 1;
  if (dumpEnd - at < 80) return line;
  return `${line.slice(0, at)}${line[at]}…${line[at] === '{' ? '}' : ']'}${dropConfigDump(line.slice(dumpEnd))}`;
}

/** protobuf's marker before a text-proto dump; the word after `debug` varies from run to run. */
const DEBUG_PROTO = /goo\.gle\/debug\w*\s*$/;

/**
 * Log text → lines, with Envoy's multi-line text-proto dumps folded: a line ending in
 * `goo.gle/debugproto` (or `debugonly`, …) is joined with the line that ends the dump (one starting
 * with ": ", or the end of the quoted config path), and the dump in between is dropped.
 */
function logLines(text: string): string[] {
  const raw = stripAnsi(text).split(/\r?\n/);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const line = raw[i]!;
    if (!DEBUG_PROTO.test(line)) {
      out.push(line);
      continue;
    }
    const end = raw.findIndex((l, j) => j > i && (l.startsWith(': ') || /^\s*\S*'$/.test(l)));
    if (end === -1) {
      out.push(line);
      continue;
    }
    const last = raw[end]!;
    out.push(line.replace(DEBUG_PROTO, '') + (last.startsWith(': ') ? `…${last}` : last.trim()));
    i = end;
  }
  return out;
}

/** The line in a compact form when it names a problem (levels kept, timestamps and pids dropped), else undefined. */
function problemLine(line: string): string | undefined {
  let m = ENVOY_LINE.exec(line);
  if (m) return envoyFailure(m[1]!, m[3]!) ? `[${m[1]}][${m[2]}] ${m[3]}` : undefined;
  if ((m = LOG4J_LINE.exec(line))) return `${m[1]} ${m[2]}`;
  if ((m = REDPANDA_LINE.exec(line))) return `${m[1]} ${m[2]}`;
  if (EXCEPTION_LINE.test(line)) return line;
  if ((m = STANDIN_LINE.exec(line))) return standinFailure(m[1]!) ? `[standin] ${m[1]}` : undefined;
  if ((m = SUPERVISOR_LINE.exec(line))) return supervisorFailure(m[1]!) ? `supervise: ${m[1]}` : undefined;
  if (DOCKER_LINE.test(line) || GENERIC_ERROR.test(line)) return line;
  return undefined;
}

/** Same problem, other numbers (a restart count, a timestamp) or a `Caused by:` repeat: one line. */
const dedupeKey = (line: string) => line.replace(/^Caused by: /, '').replace(/\d+/g, '#');

/**
 * The lines of `text` that name the problem: failure lines (see the module comment), config dumps left
 * out, long lines cut, repeats dropped; the first `maxLines - 1` and the last one when there are more.
 * Falls back to the last few non-empty lines when no line names a problem.
 */
export function logExcerpt(text: string, opts: ExcerptOptions = {}): string[] {
  const { maxLines, maxLineLength, fallbackLines } = { ...DEFAULTS, ...opts };
  const lines = logLines(text);
  const seen = new Set<string>();
  const picked: string[] = [];
  for (const line of lines) {
    const p = problemLine(line);
    if (p === undefined) continue;
    const compact = cutMiddle(collapse(dropConfigDump(p)), maxLineLength);
    const key = dedupeKey(compact);
    if (seen.has(key)) continue;
    seen.add(key);
    picked.push(compact);
  }
  if (picked.length === 0) {
    const tail = lines.map((l) => l.trim()).filter((l) => l !== '' && !/^(\{|\[\s*["{[])/.test(l)); // not a JSON dump
    return tail.slice(-fallbackLines).map((l) => cutMiddle(dropConfigDump(l), maxLineLength));
  }
  return picked.length <= maxLines ? picked : [...picked.slice(0, Math.max(0, maxLines - 1)), picked[picked.length - 1]!];
}

// ---------------------------------------------------------------------------------------------------
// the one line that names the cause

/** `StaticResources` → `static_resources`, `Clusters[0]` → `clusters[0]`, `Consecutive_5Xx` → `consecutive_5xx`. */
const snake = (s: string) => s.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();

/** `… Proto constraint validation failed (AValidationError.X: … | caused by BValidationError.Y: reason)` → `x.y: reason`. */
function protoConstraintCause(msg: string): string | undefined {
  const m = /Proto constraint validation failed \((.*)\)/.exec(msg);
  if (!m) return undefined;
  const steps = m[1]!.split(' | caused by ').map((s) => /^\w+ValidationError\.([\w[\]]+): (.*)$/.exec(s.trim()));
  if (steps.some((s) => !s)) return collapse(m[1]!);
  return `${steps.map((s) => snake(s![1]!)).join('.')}: ${steps[steps.length - 1]![2]}`;
}

/** `invalid JSON in <type> @ <path>: message <type>, near L:C (offset N): <reason>` → `<path>: <reason>`. */
function protoJsonCause(msg: string): string | undefined {
  const m = /invalid JSON in [\w.]+ @ ([\w.[\]]+): (?:.*?\(offset \d+\): )?(.*)$/.exec(msg);
  if (!m) return undefined;
  const reason = m[2]!.replace(/\)?: [{[]…[}\]].*$/, '').replace(/\) has unknown fields.*$/, '').replace(/\)$/, '');
  return `${m[1]}: ${reason}`;
}

/** The cause inside one Envoy failure message. */
function envoyMessageCause(message: string): string {
  const msg = collapse(dropConfigDump(message));
  const wrapped = /^error `(.*)` initializing config/.exec(msg);
  if (wrapped) return envoyMessageCause(wrapped[1]!);
  const file = /config update failure: in (\S+?),/i.exec(msg)?.[1];
  const inFile = (cause: string) => (file ? `${cause} (in ${file})` : cause);
  const type = /could not find @type '([^']+)'/.exec(msg);
  if (type) return inFile(`could not find @type '${type[1]}'`);
  const impl = /Didn't find a registered implementation for name: '([^']+)'/.exec(msg);
  if (impl) return inFile(impl[0]);
  const specific = protoConstraintCause(msg) ?? protoJsonCause(msg);
  if (specific) return inFile(specific);
  return msg.replace(/^error initializing configuration '[^']*': /, '');
}

interface ExceptionChain {
  /** Index of the chain's first line. */
  start: number;
  /** `Class: message` of each exception, outermost first, package names dropped. */
  messages: string[];
}

/** Java exception chains (an exception line, its stack frames, its `Caused by:` lines). */
function exceptionChains(lines: string[]): ExceptionChain[] {
  const chains: ExceptionChain[] = [];
  let current: ExceptionChain | undefined;
  lines.forEach((line, i) => {
    const m = EXCEPTION_LINE.exec(line);
    if (m) {
      const text = m[4] ? `${m[3]}: ${m[4]}` : m[3]!;
      if (m[1] && current) current.messages.push(text);
      else chains.push((current = { start: i, messages: [text] }));
    } else if (!/^\s+(at |\.\.\. \d+ more)/.test(line)) current = undefined;
  });
  return chains;
}

/**
 * The cause of the first exception logged at ERROR/FATAL (else the first one): its innermost cause,
 * or an outer one that repeats that cause's message with more context.
 */
function javaCause(lines: string[]): string | undefined {
  const chains = exceptionChains(lines);
  const chain = chains.find((c) => c.start > 0 && /\b(ERROR|FATAL)\b/.test(lines[c.start - 1]!)) ?? chains[0];
  if (!chain) return undefined;
  const messageOf = (s: string) => s.slice(s.indexOf(': ') + 2);
  let i = chain.messages.length - 1;
  while (i > 0 && chain.messages[i]!.includes(': ') && chain.messages[i - 1]!.includes(messageOf(chain.messages[i]!))) i--;
  return chain.messages[i];
}

/** The first line matching `re`, as `pick` makes it. */
function firstMatch(lines: string[], re: RegExp, pick: (m: RegExpExecArray) => string | undefined): string | undefined {
  for (const line of lines) {
    const m = re.exec(line);
    const picked = m ? pick(m) : undefined;
    if (picked) return picked;
  }
  return undefined;
}

/**
 * The single most specific cause in a log, on one line (≤ CAUSE_MAX_LENGTH characters), without
 * timestamps or config dumps; undefined when no line names a problem. In order: an Envoy failure (the
 * part of its message that names the cause), a Java exception, the stand-in's own error, an ERROR line,
 * a Docker error, the supervisor's, a generic `Error: …` line.
 */
export function oneLineCause(text: string): string | undefined {
  const lines = logLines(text);
  const cause =
    firstMatch(lines, ENVOY_LINE, (m) => (envoyFailure(m[1]!, m[3]!) && m[1] !== 'warning' ? envoyMessageCause(m[3]!) : undefined)) ??
    firstMatch(lines, ENVOY_LINE, (m) => (envoyFailure(m[1]!, m[3]!) ? envoyMessageCause(m[3]!) : undefined)) ??
    javaCause(lines) ??
    firstMatch(lines, STANDIN_LINE, (m) => /^error: (.*)/.exec(m[1]!)?.[1]) ??
    firstMatch(lines, LOG4J_LINE, (m) => m[2]) ??
    firstMatch(lines, REDPANDA_LINE, (m) => m[2]) ??
    firstMatch(lines, DOCKER_LINE, (m) => m[1]!.replace(/^Error response from daemon: /, '')) ??
    firstMatch(lines, SUPERVISOR_LINE, (m) => (supervisorFailure(m[1]!) ? m[1] : undefined)) ??
    firstMatch(lines, GENERIC_ERROR, (m) => m.input);
  return cause === undefined ? undefined : cutLine(collapse(dropConfigDump(cause)), CAUSE_MAX_LENGTH);
}
