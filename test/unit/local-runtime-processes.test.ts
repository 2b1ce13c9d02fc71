import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findPortHolder, portFree, assertPortsFree } from '../../src/runtime/ports.js';
import { groupAlive, isRunning, readProcessRecord, spawnDetached, stopRecorded } from '../../src/runtime/local/processes.js';
import { waitFor } from '../../src/util/wait.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'local-proc-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('detached processes tracked by PID files', () => {
  it('stops the whole process group (a child that ignores its parent too), and is safe twice', async () => {
    const dir = tmp();
    const pidFile = join(dir, 'p.pid');
    // A shell whose child (sleep) would outlive it if only the leader were signalled.
    const rec = spawnDetached(['/bin/sh', '-c', 'sleep 300 & wait'], { pidFile, log: join(dir, 'p.log') });
    expect(isRunning(readProcessRecord(pidFile))).toBe(true);
    expect(await stopRecorded(pidFile, 5_000)).toBe(true);
    expect(groupAlive(rec)).toBe(false);
    expect(readProcessRecord(pidFile)).toBeUndefined();
    expect(await stopRecorded(pidFile, 5_000)).toBe(false);
  });

  it('never signals a reused PID: a record whose start time does not match is dropped, not killed', async () => {
    const dir = tmp();
    const pidFile = join(dir, 'p.pid');
    const real = spawnDetached(['sleep', '300'], { pidFile: join(dir, 'real.pid'), log: join(dir, 'real.log') });
    writeFileSync(pidFile, JSON.stringify({ ...real, startTicks: real.startTicks - 1 }));
    expect(isRunning(readProcessRecord(pidFile))).toBe(false);
    expect(await stopRecorded(pidFile, 1_000)).toBe(false);
    expect(isRunning(real)).toBe(true);
    await stopRecorded(join(dir, 'real.pid'), 5_000);
    await waitFor(() => !groupAlive(real), { what: 'sleep to exit', timeoutMs: 5_000 });
  });
});

describe('port pre-flight', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
  });

  it('names a taken port, what the demo wanted it for, and the process holding it', async () => {
    const port = 20581;
    server = await new Promise<Server>((resolve) => {
      const s = createServer();
      s.listen(port, '127.0.0.1', () => resolve(s));
    });
    expect(await portFree(port)).toBe(false);
    expect(findPortHolder(port)?.pid).toBe(process.pid);
    await expect(assertPortsFree([{ port: 20582, purpose: 'free one' }, { port, purpose: 'Envoy admin' }])).rejects.toThrow(
      new RegExp(`^port ${port} \\(Envoy admin\\) is already in use by pid ${process.pid}: `),
    );
    await expect(assertPortsFree([{ port: 20583, purpose: 'a' }, { port: 20583, purpose: 'b' }])).rejects.toThrow('port 20583 is configured twice');
  });
});
