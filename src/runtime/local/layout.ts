/** Where the local runtime keeps its files: <project>/.failover-demo/local/ (git-ignored). */
import { join } from 'node:path';
import { stateDir } from '../../util/paths.js';

export interface LocalLayout {
  root: string;
  brokersDir: string;
  brokerDir(name: string): string;
  /** The broker's rendered redpanda.yaml: what the stand-in reads and `recovery` edits. */
  redpandaYaml(name: string): string;
  dataDir(name: string): string;
  brokerPidFile(name: string): string;
  brokerLog(name: string): string;
  /** The broker's supervisor state (see src/supervisor/supervise.ts). */
  brokerStateFile(name: string): string;
  envoyDir: string;
  envoyYaml: string;
  envoyPidFile: string;
  envoyLog: string;
  envoyStateFile: string;
  /** coherent policy: the controller's config (next to Envoy's listener files, which its paths name). */
  controllerConfig: string;
  /** The controller's supervisor process (every part runs under one: see ./supervised.ts). */
  controllerPidFile: string;
  controllerLog: string;
  controllerStateFile: string;
  /** Which topology made the brokers' data (see ../data-stamp.ts). */
  dataStampFile: string;
  /** replication: the replicator's folder (its config, MirrorMaker 2's files, its state), PID file and log. */
  replicatorDir: string;
  replicatorConfig: string;
  replicatorPidFile: string;
  replicatorLog: string;
  replicatorStateFile: string;
}

export function localLayout(projectDir: string): LocalLayout {
  const root = join(stateDir(projectDir), 'local');
  const brokersDir = join(root, 'brokers');
  const brokerDir = (name: string) => join(brokersDir, name);
  const envoyDir = join(root, 'envoy');
  return {
    root,
    brokersDir,
    brokerDir,
    redpandaYaml: (name) => join(brokerDir(name), 'redpanda.yaml'),
    dataDir: (name) => join(brokerDir(name), 'data'),
    brokerPidFile: (name) => join(brokerDir(name), 'standin.pid'),
    brokerLog: (name) => join(brokerDir(name), 'standin.log'),
    brokerStateFile: (name) => join(brokerDir(name), 'supervisor.json'),
    envoyDir,
    envoyYaml: join(envoyDir, 'envoy.yaml'),
    envoyPidFile: join(envoyDir, 'envoy.pid'),
    envoyLog: join(envoyDir, 'envoy.log'),
    envoyStateFile: join(envoyDir, 'supervisor.json'),
    controllerConfig: join(envoyDir, 'controller.json'),
    controllerPidFile: join(root, 'controller', 'controller.pid'),
    controllerLog: join(root, 'controller', 'controller.log'),
    controllerStateFile: join(root, 'controller', 'supervisor.json'),
    dataStampFile: join(root, 'data-stamp.json'),
    replicatorDir: join(root, 'replicator'),
    replicatorConfig: join(root, 'replicator', 'replicator.json'),
    replicatorPidFile: join(root, 'replicator', 'replicator.pid'),
    replicatorLog: join(root, 'replicator', 'replicator.log'),
    replicatorStateFile: join(root, 'replicator', 'supervisor.json'),
  };
}
