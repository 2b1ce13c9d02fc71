/**
 * Class-data sharing (AppCDS) for the Kafka JVMs: a broker started with an archive of Kafka's classes
 * needs about half the CPU to start (measured: ~3.3 s → ~1.7 s of CPU per broker), which matters with
 * six JVMs starting at once on two cores.
 *
 * No archive yet: the broker's JVM records the classes it loads (-XX:DumpLoadedClassList, written as
 * they load, nothing at exit); once the broker is ready, one stand-in (a lock file decides) builds the
 * archive from that list in the background (`java -Xshare:dump`) and moves it into place atomically.
 * Archive present: JVMs map it (-XX:SharedArchiveFile; with the default -Xshare:auto a stale or
 * mismatched archive is ignored, never fatal).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export class KafkaCds {
  private readonly classList: string;
  private readonly recording: boolean;

  constructor(
    private readonly archive: string | undefined,
    private readonly java: string,
    /** Heap and classpath flags; the dump must use the same classpath as the brokers. */
    private readonly jvmArgs: string[],
    private readonly log: (msg: string) => void,
  ) {
    this.classList = `${archive}.${process.pid}.classlist`;
    this.recording = archive !== undefined && !existsSync(archive);
  }

  /** Flags for a JVM that runs Kafka classes. `record` marks the broker JVM (it writes the class list). */
  flags(record: boolean): string[] {
    if (!this.archive) return [];
    if (!this.recording) return [`-XX:SharedArchiveFile=${this.archive}`];
    return record ? [`-XX:DumpLoadedClassList=${this.classList}`] : [];
  }

  /** Called once the broker is ready: builds the archive in the background if this stand-in wins the lock. */
  buildInBackground(): void {
    if (!this.archive || !this.recording || !existsSync(this.classList)) return;
    const archive = this.archive;
    const lock = `${archive}.lock`;
    if (!takeLock(lock)) return;
    // A snapshot of the list up to its last complete line (the broker JVM may still append).
    const text = readFileSync(this.classList, 'utf8');
    const list = `${archive}.${process.pid}.list`;
    writeFileSync(list, text.slice(0, text.lastIndexOf('\n') + 1));
    const tmp = `${archive}.${process.pid}.tmp`;
    const done = (ok: boolean) => {
      if (ok && existsSync(tmp)) {
        renameSync(tmp, archive);
        this.log(`built class-data-sharing archive ${archive}`);
      }
      for (const f of [tmp, list, lock]) rmSync(f, { force: true });
    };
    const child = spawn(this.java, ['-Xshare:dump', `-XX:SharedClassListFile=${list}`, `-XX:SharedArchiveFile=${tmp}`, ...this.jvmArgs], {
      stdio: 'ignore',
    });
    child.once('error', () => done(false));
    child.once('exit', (code) => done(code === 0));
  }

  /** Removes this stand-in's class list (call when the broker JVM has exited). */
  cleanup(): void {
    rmSync(this.classList, { force: true });
  }
}

/** Removes class lists, snapshots and half-built archives of stand-ins that are gone (pid not alive). */
export function removeStaleCdsFiles(archive: string): void {
  const dir = dirname(archive);
  const prefix = `${basename(archive)}.`;
  for (const f of readdirSync(dir)) {
    const m = f.startsWith(prefix) ? /^(\d+)\.(classlist|list|tmp)$/.exec(f.slice(prefix.length)) : null;
    if (m && !alive(Number(m[1]))) rmSync(join(dir, f), { force: true });
  }
}

/** Creates `lock` holding our pid; a lock whose pid is gone is taken over. */
function takeLock(lock: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch {
      const holder = Number(readFileSafe(lock));
      if (Number.isInteger(holder) && holder > 0 && alive(holder)) return false;
      rmSync(lock, { force: true });
    }
  }
  return false;
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
