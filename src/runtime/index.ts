/** Picks the runtime implementation. Everything above this layer sees only `Runtime`. */
import type { Topology } from '../config/topology.js';
import type { Runtime, RuntimeContext, RuntimeKind } from './types.js';
import { createLocalRuntime } from './local/index.js';
import { createDockerRuntime } from './docker/index.js';

export type { RuntimeContext } from './types.js';

/** The demo's runtimes; a game day's (external) is built from its clusters file instead (./external/index.ts). */
export function createRuntime(kind: RuntimeKind, topology: Topology, ctx: RuntimeContext): Runtime {
  if (kind === 'external') throw new Error('the external runtime is made with new ExternalRuntime(), from a clusters file');
  return kind === 'local' ? createLocalRuntime(topology, ctx) : createDockerRuntime(topology, ctx);
}
