/** Progress reporting for long waits: the CLI turns these into an ora spinner, scripts into log lines. */
export interface Progress {
  /** A new phase started ("waiting for primary-broker-1 to answer metadata"). */
  step(text: string): void;
  /** The current phase finished well. */
  done(text?: string): void;
  /** A note that is not a phase ("created topic test-topic on primary"). */
  info(text: string): void;
}

export const silentProgress: Progress = { step() {}, done() {}, info() {} };
