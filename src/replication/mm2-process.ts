/**
 * One MirrorMaker 2 JVM (dedicated mode) for one flow: its properties written, started, stopped. Kept in
 * the replicator's process group, so a supervisor that ends the replicator ends it too. An exit nobody
 * asked for is reported through `onExit` (the replicator starts the flow again).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReplicatorConfig } from './config.js';
import { mm2Log4jProperties, renderMm2Properties, type Flow } from './mm2-properties.js';

export class Mm2Process {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private stopping = false;

  constructor(
    private readonly c: ReplicatorConfig,
    readonly flow: Flow,
    private readonly log: (line: string) => void,
    private readonly onExit: (code: number | null) => void,
  ) {}

  get pid(): number | undefined {
    return this.child?.exitCode === null ? this.child.pid : undefined;
  }

  start(): void {
    const { c, flow } = this;
    mkdirSync(c.workDir, { recursive: true });
    const props = join(c.workDir, `mm2-${flow.source}-to-${flow.target}.properties`);
    const log4j = join(c.workDir, 'mm2-log4j.properties');
    writeFileSync(props, renderMm2Properties(c, flow));
    writeFileSync(log4j, mm2Log4jProperties());
    const args = [
      `-Xmx${c.heapMb}m`, '-Xms64m', '-XX:+UseSerialGC', '-XX:+ExitOnOutOfMemoryError',
      '-Djava.awt.headless=true', `-Dlog4j.configuration=file:${log4j}`,
      '-cp', `${c.kafkaLibs}/*`, 'org.apache.kafka.connect.mirror.MirrorMaker', props, '--clusters', flow.target,
    ];
    const child = spawn(c.java, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    this.child = child;
    this.log(`MirrorMaker 2 ${flow.source} -> ${flow.target} started (pid ${child.pid})`);
    this.exited = new Promise((resolve) => {
      child.once('error', (err) => {
        this.log(`MirrorMaker 2 could not start: ${err.message}`);
        resolve();
        if (!this.stopping) this.onExit(null);
      });
      child.once('exit', (code, signal) => {
        this.log(`MirrorMaker 2 ${flow.source} -> ${flow.target} exited (${signal ?? `code ${code}`})`);
        resolve();
        if (!this.stopping) this.onExit(code);
      });
    });
  }

  /** Stops the JVM: SIGTERM, SIGKILL after `graceMs`. Resolves once it has exited. */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
