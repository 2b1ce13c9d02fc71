/**
 * An error meant for a person: the CLI prints `message` (and `hint`) without a stack trace
 * and exits with `exitCode`.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}
