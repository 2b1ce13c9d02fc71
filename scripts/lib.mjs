// Small shared helpers for the scripts in this folder.

/** Progress lines on stderr, one per step (scripts run in CI logs: no spinners). */
export function consoleProgress(prefix) {
  return {
    step: (text) => console.error(`${prefix}: ${text} …`),
    done: (text) => text && console.error(`${prefix}: ${text}`),
    info: (text) => console.error(`${prefix}: ${text}`),
  };
}

/** Runs main(); a UserError-like failure prints its message and hint, not a stack trace. */
export async function runScript(main) {
  try {
    await main();
  } catch (err) {
    console.error(`error: ${err?.message ?? err}`);
    if (err?.hint) console.error(`hint: ${err.hint}`);
    process.exit(1);
  }
}
