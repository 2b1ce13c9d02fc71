import type { Topology } from '../../config/topology.js';
import type { Runtime } from '../types.js';
import type { RuntimeContext } from '../index.js';
import { UserError } from '../../util/errors.js';

// Placeholder: replaced by the docker runtime implementation.
export function createDockerRuntime(_topology: Topology, _ctx: RuntimeContext): Runtime {
  throw new UserError('the docker runtime is not available in this build yet');
}
