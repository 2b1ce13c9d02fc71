// @ts-check
// Small shared helpers for the scripts in this folder.

/** @typedef {import('#dist/util/progress.js').Progress} Progress */

/**
 * Moves a topology onto its own port range starting at `base`, the same layout as the integration rigs
 * (test/integration/rig.ts), so a bench never collides with a demo on the default ports.
 */
export { onPortRange } from '#dist/runtime/ports.js';

/**
 * Progress lines on stderr, one per step (scripts run in CI logs: no spinners).
 * @param {string} prefix
 * @returns {Progress}
 */
export function consoleProgress(prefix) {
  return {
    step: (text) => console.error(`${prefix}: ${text} …`),
    done: (text) => {
      if (text) console.error(`${prefix}: ${text}`);
    },
    info: (text) => console.error(`${prefix}: ${text}`),
  };
}

/**
 * Runs main(); a UserError-like failure prints its message and hint, not a stack trace.
 * @param {() => Promise<void>} main
 */
export async function runScript(main) {
  try {
    await main();
  } catch (err) {
    const e = /** @type {{ message?: string, hint?: string } | undefined} */ (err);
    console.error(`error: ${e?.message ?? err}`);
    if (e?.hint) console.error(`hint: ${e.hint}`);
    process.exit(1);
  }
}
