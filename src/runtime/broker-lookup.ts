/** The one lookup of a broker by name for every command that takes one (runtimes, faults, drills). */
import { brokersOf, findBroker, type BrokerRef, type Topology } from '../config/topology.js';
import { UserError } from '../util/errors.js';

/** The broker called `name`, or a UserError that lists the valid names. */
export function requireBroker(t: Topology, name: string): BrokerRef {
  const b = findBroker(t, name);
  if (!b) throw new UserError(`no broker named "${name}"`, `brokers are: ${brokersOf(t).map((x) => x.name).join(', ')}`);
  return b;
}
