/**
 * Every command's action returns its exit code (0: done; 1: a check failed; 2: `verify-ledger` found a
 * message missing ...) instead of setting `process.exitCode` as a side channel. Errors are still thrown
 * and turned into a message and a code by reportError() in ./program.ts. main() (./program.ts) asks
 * exitCodeOf(program) once the command finished, and ./main.ts alone makes it the process's exit code.
 */
import type { Command } from 'commander';

/** What a command does: resolves to its exit code. */
export type CommandAction<A extends unknown[]> = (...args: A) => number | Promise<number>;

const codes = new WeakMap<Command, number>();

/**
 * An action for commander's `.action()` (which ignores what actions return): runs `action` and keeps
 * its exit code on the root program for exitCodeOf().
 */
export function returnsExitCode<A extends unknown[]>(action: CommandAction<A>): (this: Command, ...args: A) => Promise<void> {
  return async function (this: Command, ...args: A): Promise<void> {
    const code = await action(...args);
    let root: Command = this;
    while (root.parent) root = root.parent;
    codes.set(root, code);
  };
}

/** The exit code of the action `program.parseAsync()` ran; 0 when none ran (none does for --help). */
export function exitCodeOf(program: Command): number {
  return codes.get(program) ?? 0;
}
