/** What most commands need: the working folder, the effective topology, the running demo's runtime. */
import { resolve } from 'node:path';
import type { Topology } from '../config/topology.js';
import { loadTopology, type TopologyOverrides } from '../config/load.js';
import { createRuntime } from '../runtime/index.js';
import { readState, type DemoState } from '../runtime/state.js';
import type { Runtime, RuntimeKind } from '../runtime/types.js';
import { UserError } from '../util/errors.js';
import { projectDir } from '../util/paths.js';

export interface TopologyFlags extends TopologyOverrides {
  config?: string;
}

/**
 * The topology a command works with: flags/--config when given; otherwise the one the running
 * demo was started with; otherwise the defaults (plus REDPANDA_VERSION / ENVOY_VERSION).
 */
export function resolveTopology(flags: TopologyFlags = {}, project = projectDir()): Topology {
  const explicit = flags.config !== undefined || flags.brokers !== undefined || flags.rewrite !== undefined || flags.replication !== undefined;
  if (!explicit) {
    const state = readState(project);
    if (state) return state.topology;
  }
  return loadTopology({
    configFile: flags.config === undefined ? undefined : resolve(flags.config),
    overrides: { brokers: flags.brokers, rewrite: flags.rewrite, replication: flags.replication },
    env: process.env,
  });
}

export function currentState(project = projectDir()): DemoState | undefined {
  return readState(project);
}

/** The runtime of the running demo, or a clear error telling the user to start it. */
export function openRuntime(project = projectDir()): Runtime {
  const state = readState(project);
  if (!state) {
    throw new UserError(
      `no demo is running in ${project}`,
      'start one with `failover-demo start` (or run this command in the folder where you started it)',
    );
  }
  return createRuntime(state.runtime, state.topology, { projectDir: project });
}

export function runtimeFor(kind: RuntimeKind, topology: Topology, project = projectDir()): Runtime {
  return createRuntime(kind, topology, { projectDir: project });
}
