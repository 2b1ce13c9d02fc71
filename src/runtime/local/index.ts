import type { Topology } from '../../config/topology.js';
import type { Runtime } from '../types.js';
import type { RuntimeContext } from '../index.js';
import { UserError } from '../../util/errors.js';

// Placeholder: replaced by the local runtime implementation.
export function createLocalRuntime(_topology: Topology, _ctx: RuntimeContext): Runtime {
  throw new UserError('the local runtime is not available in this build yet');
}
