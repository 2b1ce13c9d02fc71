/**
 * Placeholder until the config loader lands: defaults only.
 * Contract: loadTopology() returns a validated Topology or throws ConfigError (a UserError)
 * listing every problem, one per line.
 */
import { defaultTopology, type Topology } from './topology.js';

export interface TopologyOverrides {
  brokers?: number | string;
  rewrite?: string;
}

export interface LoadOptions {
  /** YAML config file; every value optional, merged over the defaults. */
  configFile?: string;
  /** Command-line flags, applied after the file. */
  overrides?: TopologyOverrides;
  /** REDPANDA_VERSION / ENVOY_VERSION pick image tags. */
  env?: Record<string, string | undefined>;
}

export function loadTopology(options: LoadOptions = {}): Topology {
  return defaultTopology(options.env ?? process.env);
}
