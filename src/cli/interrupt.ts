/**
 * Ctrl+C while a command works, the same way for every command: the first SIGINT (and SIGTERM where
 * the command asks for it) aborts `signal`, so the work winds down and the command still reports (a
 * summary, a drill's partial report, a start that stops what it started). What a second signal does is
 * the command's choice. release() restores the handling there was before: call it in a `finally`.
 */

/** What a signal after the first one does. */
export type Again =
  /** Node's own handling: the process ends (for work whose clean-up could hang: Ctrl+C again gets out). */
  | 'default'
  /** Nothing: the work stops quickly once aborted. */
  | 'ignore'
  /** `quit()` (say what is left undone), then exit 130 at once without waiting for the work. */
  | { quit: () => void };

export interface InterruptOptions {
  /** Default: SIGINT only. */
  signals?: readonly NodeJS.Signals[];
  /** Runs on the first signal, before `signal` aborts (e.g. tell the user what stopping does). */
  onInterrupt?: () => void;
  /** Default: 'default'. */
  again?: Again;
}

export interface Interrupt {
  /** Aborted, with Error('interrupted'), by the first signal or by abort(). */
  readonly signal: AbortSignal;
  /** Stops the work as the first Ctrl+C would, for another reason (stdout closed); no onInterrupt. */
  abort(): void;
  /** Removes the handlers this installed. Safe twice. */
  release(): void;
}

/** The exit code of a command a second Ctrl+C quits (128 + SIGINT, what a shell reports). */
export const INTERRUPTED_EXIT_CODE = 130;

export function onInterrupt(options: InterruptOptions = {}): Interrupt {
  const signals = options.signals ?? ['SIGINT'];
  const again = options.again ?? 'default';
  const controller = new AbortController();
  const abort = () => {
    if (!controller.signal.aborted) controller.abort(new Error('interrupted'));
  };
  const release = () => {
    for (const s of signals) process.off(s, handler);
  };
  const handler = () => {
    if (!controller.signal.aborted) {
      options.onInterrupt?.();
      abort();
      // Without a listener left, the next signal gets Node's default handling.
      if (again === 'default') release();
    } else if (typeof again === 'object') {
      again.quit();
      // A forced exit the user asked for: in-flight work is abandoned on purpose.
      process.exit(INTERRUPTED_EXIT_CODE);
    }
  };
  for (const s of signals) process.on(s, handler);
  return { signal: controller.signal, abort, release };
}
