/**
 * The dashboard's fault buttons (only with `dashboard --allow-actions`): the same code paths as the fault
 * commands (applyFault, ./faults.ts) and `switch` (plannedSwitch, ./switch.ts). And the probe producer
 * whose acknowledgements the dashboard counts per cluster.
 */
import { brokersOf, CLUSTER_NAMES, type ClusterName } from '../config/topology.js';
import { FailoverProducer } from '../kafka/producer.js';
import type { Runtime } from '../runtime/types.js';
import type { AckRateSample, DashboardAction } from './dashboard-model.js';
import type { DashboardActions } from './dashboard-server.js';
import { applyFault, type FaultAction } from './faults.js';
import { plannedSwitch } from './switch.js';

type Step = { fault: FaultAction } | { switchTo: ClusterName };

function catalogue(runtime: Runtime): { action: DashboardAction; step: Step }[] {
  const t = runtime.topology;
  const out: { action: DashboardAction; step: Step }[] = [];
  for (const c of CLUSTER_NAMES) {
    const brokers = brokersOf(t, c).map((b) => b.name);
    out.push({ action: { id: `fail-${c}`, label: `fail ${c}`, confirm: `Stop every ${c} broker (${brokers.join(', ')})?` }, step: { fault: { kind: 'stop', brokers } } });
    out.push({ action: { id: `restore-${c}`, label: `restore ${c}`, confirm: `Start the ${c} brokers again and take them out of recovery mode?` }, step: { fault: { kind: 'restore', brokers } } });
    out.push({ action: { id: `recovery-${c}`, label: `recovery mode: ${c}`, confirm: `Put every ${c} broker into recovery mode (restarts them)?` }, step: { fault: { kind: 'recovery', enabled: true, brokers } } });
  }
  for (const b of brokersOf(t)) {
    out.push({ action: { id: `stop-${b.name}`, label: `stop ${b.name}`, confirm: `Stop broker ${b.name}?` }, step: { fault: { kind: 'stop', brokers: [b.name] } } });
    out.push({ action: { id: `start-${b.name}`, label: `start ${b.name}`, confirm: `Start broker ${b.name}?` }, step: { fault: { kind: 'start', brokers: [b.name] } } });
  }
  if (t.failover.policy === 'coherent') {
    for (const c of CLUSTER_NAMES) out.push({ action: { id: `switch-${c}`, label: `switch to ${c}`, confirm: `Move every listener and client to the ${c} cluster now?` }, step: { switchTo: c } });
  }
  return out;
}

export function dashboardActions(runtime: Runtime): DashboardActions {
  const all = catalogue(runtime);
  return {
    list: all.map((a) => a.action),
    async run(id) {
      const found = all.find((a) => a.action.id === id);
      if (!found) throw new Error(`no action "${id}"`);
      if ('switchTo' in found.step) {
        const r = await plannedSwitch(runtime.topology, runtime.endpoints(), found.step.switchTo, () => {});
        return [`active cluster: ${r.active}${r.reason ? `: ${r.reason}` : ''}`];
      }
      const outcome = await applyFault(runtime, found.step.fault);
      return [...outcome.did, ...outcome.next];
    },
  };
}

const RATE_WINDOW_MS = 2_000;

/** A small producer through Envoy (20 msg/s by default) and its acknowledgements per second per cluster. */
export class ProbeProducer {
  private readonly producer: FailoverProducer;
  private readonly acks: { at: number; cluster: string }[] = [];
  private running?: Promise<unknown>;

  constructor(runtime: Runtime, ratePerSecond = 20) {
    const endpoints = runtime.endpoints();
    const topic = runtime.topology.topics[0]?.name ?? 'test-topic';
    this.producer = new FailoverProducer({ bootstrap: endpoints.bootstrap, direct: endpoints.direct, topic, ratePerSecond, producerId: `dashboard-probe-${process.pid}` });
    this.producer.on('ack', (a) => this.acks.push({ at: a.at, cluster: a.cluster }));
  }

  start(): void {
    this.running = this.producer.run().catch(() => undefined);
  }

  rate(now = Date.now()): AckRateSample {
    while (this.acks.length > 0 && this.acks[0]!.at < now - RATE_WINDOW_MS) this.acks.shift();
    const byCluster: Record<string, number> = { primary: 0, secondary: 0 };
    for (const a of this.acks) byCluster[a.cluster] = (byCluster[a.cluster] ?? 0) + 1000 / RATE_WINDOW_MS;
    return { at: now, byCluster };
  }

  async stop(): Promise<void> {
    this.producer.stop();
    await this.running;
  }
}
