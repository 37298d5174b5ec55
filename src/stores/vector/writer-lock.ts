// One writer at a time per index, across processes: `vitrine index`, `delete`, `migrate` (its target) and the
// write API take the index's writer lock for a run or a batch; readers (serve, search) never do. The lock says who
// holds it (command, pid, host, since), so a second writer's INDEX_LOCKED names the first.
//
// The embedded store's lock is a lock folder in the data dir (proper-lockfile: an atomic mkdir whose mtime the
// holder refreshes; one not refreshed for LOCK_STALE_MS is stale) beside a holder file per writer. A holder killed
// outright on this machine is recognised at once by its process id, so a resumed run never waits for the stale time.
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { AppError, errorMessage } from '../../errors/app-error.js';
import type { StoreLocation } from './model-guard.js';

/** Who writes: shown to a second writer. */
export interface WriterHolder {
  /** What writes: `vitrine index`, `vitrine delete`, `the write API`... */
  command: string;
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  since: string;
}

/** A held writer lock; release() lets the next writer in. */
export interface WriterLock {
  readonly holder: WriterHolder;
  release(): Promise<void>;
}

export function writerHolder(command: string): WriterHolder {
  return { command, pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
}

/** INDEX_LOCKED for a writer that found the lock taken, naming the holder when known. */
export function indexLockedError(where: StoreLocation, holder: Partial<WriterHolder> | null): AppError {
  const who = holder?.command
    ? `${holder.command} (pid ${holder.pid ?? '?'} on ${holder.host ?? '?'}${holder.since ? `, since ${holder.since}` : ''})`
    : 'another writer';
  return new AppError('INDEX_LOCKED', `${where.label} is being written by ${who}: one writer at a time; run again when it has finished`, {
    details: { holder },
  });
}

/** Runs `fn` holding the store's writer lock (INDEX_LOCKED when another writer holds it), released after. */
export async function withWriterLock<T>(store: { lockWriter?(command: string): Promise<WriterLock> }, command: string, fn: () => Promise<T>): Promise<T> {
  const lock = store.lockWriter ? await store.lockWriter(command) : null;
  try {
    return await fn();
  } finally {
    await lock?.release();
  }
}

/** A lock that holds nothing: stores with no locking primitive (documented as a limitation). */
export function noWriterLock(command: string): WriterLock {
  return { holder: writerHolder(command), release: async () => undefined };
}

/** How long an unrefreshed lock folder counts as held (its holder refreshes it every LOCK_STALE_MS / 6). */
const LOCK_STALE_MS = 30_000;
const LOCK_FOLDER = 'writer.lock';
const HOLDER_FILE = /^writer\.\d+\.\d+\.[^/]+\.json$/;
/** Tells apart two writers of one process (two write-API batches at once): each is a holder of its own. */
let attempts = 0;

/** Whether a process with this id runs on this machine (signal 0 tests without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const holderFileName = (h: WriterHolder) => `writer.${h.pid}.${attempts++}.${h.host.replace(/[^A-Za-z0-9_-]/g, '_')}.json`;

/**
 * The other writers' holder files: `live` ones belong to a running process on this machine, or to another machine
 * while the lock folder is fresh; the rest are left by writers that were killed.
 */
async function otherHolders(dir: string, own: string): Promise<{ live: Partial<WriterHolder>[]; dead: string[] }> {
  const lockAge = await stat(path.join(dir, LOCK_FOLDER)).then(
    (s) => Date.now() - s.mtimeMs,
    () => Infinity,
  );
  const live: Partial<WriterHolder>[] = [];
  const dead: string[] = [];
  for (const name of await readdir(dir)) {
    if (name === own || !HOLDER_FILE.test(name)) continue;
    const holder = await readFile(path.join(dir, name), 'utf8').then(
      (t) => JSON.parse(t) as Partial<WriterHolder>,
      () => null,
    );
    const here = holder?.host === os.hostname();
    const alive = holder !== null && (here ? typeof holder.pid === 'number' && processAlive(holder.pid) : lockAge < LOCK_STALE_MS);
    if (alive) live.push(holder);
    else dead.push(name);
  }
  return { live, dead };
}

/**
 * Takes the writer lock of a data dir (creating the dir), or throws INDEX_LOCKED. `onLost` is called if the lock is
 * lost while held (its folder removed or not refreshed in time), so the writer can stop.
 *
 * Each writer first leaves a holder file (writer.<pid>.<host>.json) and then tries the lock folder. A writer that
 * finds the folder taken looks at the other holder files: any live one means the lock is held (or being taken);
 * when all are dead, the folder was left by a killed writer and is taken over at once.
 */
export async function lockDataDir(dir: string, command: string, where: StoreLocation, onLost: (e: Error) => void = () => undefined): Promise<WriterLock> {
  await mkdir(dir, { recursive: true });
  const holder = writerHolder(command);
  const own = holderFileName(holder);
  await writeFile(path.join(dir, own), JSON.stringify(holder));
  const options = { lockfilePath: path.join(dir, LOCK_FOLDER), realpath: false, stale: LOCK_STALE_MS, update: LOCK_STALE_MS / 6, retries: 0, onCompromised: onLost };
  const giveUp = async (error: AppError): Promise<never> => {
    await rm(path.join(dir, own), { force: true });
    throw error;
  };
  let release: (() => Promise<void>) | null = null;
  for (let attempt = 0; attempt < 2 && !release; attempt++) {
    try {
      release = await lockfile.lock(dir, options);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') {
        return giveUp(new AppError('STORE_ERROR', `cannot take the writer lock in ${dir}: ${errorMessage(e)}`, { cause: e }));
      }
      const { live, dead } = await otherHolders(dir, own);
      if (live.length > 0 || attempt > 0) return giveUp(indexLockedError(where, live[0] ?? null));
      for (const name of dead) await rm(path.join(dir, name), { force: true });
      await rm(options.lockfilePath, { recursive: true, force: true });
    }
  }
  for (const name of (await otherHolders(dir, own)).dead) await rm(path.join(dir, name), { force: true });
  return {
    holder,
    async release() {
      await rm(path.join(dir, own), { force: true });
      await release!().catch(() => undefined);
    },
  };
}
