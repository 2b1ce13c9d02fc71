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

/**
 * Moves a topology onto its own port range starting at `base` (Envoy, the brokers, the controller), the
 * same layout as the integration rigs, so a bench never collides with a demo on the default ports.
 */
export function onPortRange(t, base) {
  t.envoy.listenerPort = base + 92;
  t.envoy.adminPort = base + 901;
  t.envoy.hostListenerPort = base + 192;
  t.redpanda.directPortBase = base + 2092;
  t.local.basePort = base + 1000;
  t.failover.controllerPort = base + 902;
  return t;
}
