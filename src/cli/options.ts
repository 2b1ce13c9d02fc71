/**
 * Flag values checked while commander parses the command line (its `argParser`), so an action gets
 * numbers and known words, not text to check itself. A bad value throws the same UserError, with its
 * hint, as the check did inside the action; commander lets it through to reportError() unchanged
 * (only an InvalidArgumentError would become commander's own "option ... argument ... is invalid").
 * Choices are checked the same way rather than with Option.choices(), to keep each message and hint.
 */
import { Argument, Option } from 'commander';
import { UserError } from '../util/errors.js';

/** Checks one flag's text: `flag` is how the error names it ("--rate"). */
export type FlagParser<T> = (flag: string, text: string) => T;

/**
 * `flags` whose value `parse` checks. With `fallback`, that text is the default: parsed the same way,
 * shown in --help as the text (`(default: "100")`), as a plain string default was.
 */
export function parsedOption<T>(flags: string, description: string, parse: FlagParser<T>, fallback?: string): Option {
  const option = new Option(flags, description);
  const flag = option.long ?? option.short ?? flags;
  option.argParser((text: string) => parse(flag, text));
  return fallback === undefined ? option : option.default(parse(flag, fallback), JSON.stringify(fallback));
}

/** A FlagParser accepting one of `values`; anything else throws `refuse(text)`. */
export function oneOf<T extends string>(values: readonly T[], refuse: (text: string, flag: string) => UserError): FlagParser<T> {
  return (flag, text) => {
    if ((values as readonly string[]).includes(text)) return text as T;
    throw refuse(text, flag);
  };
}

/** A positional argument accepting one of `values`; anything else throws `refuse(text)`. */
export function choiceArgument<T extends string>(name: string, description: string, values: readonly T[], refuse: (text: string) => UserError): Argument {
  return new Argument(name, description).argParser((text: string) => oneOf(values, refuse)(name, text));
}

/** A whole number > 0. */
export const positiveInt: FlagParser<number> = (flag, text) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new UserError(`${flag} must be a positive whole number, got "${text}"`);
  return n;
};
