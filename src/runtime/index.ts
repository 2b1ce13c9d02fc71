/** Picks the runtime implementation. Everything above this layer sees only `Runtime`. */
import type { Topology } from '../config/topology.js';
import type { Runtime, RuntimeContext, RuntimeKind } from './types.js';
import { createLocalRuntime } from './local/index.js';
import { createDockerRuntime } from './docker/index.js';

export type { RuntimeContext } from './types.js';

export function createRuntime(kind: RuntimeKind, topology: Topology, ctx: RuntimeContext): Runtime {
  return kind === 'local' ? createLocalRuntime(topology, ctx) : createDockerRuntime(topology, ctx);
}
