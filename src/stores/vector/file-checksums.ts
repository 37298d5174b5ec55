// Checksums of an embedded index's data files, kept beside it, so that bytes changed on disk (a bad sector, a stray
// tool, a partial copy) are found instead of read as fewer products. It fits stores whose files never change once
// written (LanceDB writes new files for every commit and deletes whole files on cleanup): after a commit the writer
// records the SHA-256 of the files that are new, and forgets the ones that are gone; a check hashes every file.
//
// Example:
//   const sums = new FileChecksums({ root: '/data/products.lance', dirs: ['data', '_deletions', '_indices'], file: '/data/checksums.json' });
//   await sums.record();              // after each commit
//   const { problems } = await sums.check();
import { createHash } from 'node:crypto';
import { open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface FileChecksumsOptions {
  /** The folder the files live under (their names are recorded relative to it). */
  root: string;
  /** Sub-folders of root whose files never change once written. */
  dirs: readonly string[];
  /** The JSON file the checksums are kept in. */
  file: string;
}

interface Saved {
  algorithm: 'sha256';
  files: Record<string, string>;
}

export interface ChecksumReport {
  /** Files whose bytes differ from what was recorded. */
  problems: string[];
  /** Files not (yet) recorded: written by a run that was killed before it recorded them. */
  unrecorded: string[];
  checked: number;
}

/**
 * Read buffer of the hashing, reused for every file: a stream allocates a new chunk per read, and fresh memory
 * costs about 10 ms per MB on our VMs (a check of the 44k catalog's 106 MB took 0.5 s of CPU, 0.15 s with this).
 */
const CHUNK = 1 << 20;
let chunk: Buffer | null = null;

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(file, 'r');
  // One buffer per call while another call is reading (checks may overlap); the shared one otherwise.
  const buffer = chunk ?? Buffer.allocUnsafeSlow(CHUNK);
  chunk = null;
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    chunk = buffer;
    await handle.close();
  }
  return hash.digest('hex');
}

export class FileChecksums {
  constructor(private readonly options: FileChecksumsOptions) {}

  /** Every file under the checked folders, relative to root (forward slashes). */
  private async files(): Promise<string[]> {
    const out: string[] = [];
    for (const dir of this.options.dirs) {
      const entries = await readdir(path.join(this.options.root, dir), { recursive: true, withFileTypes: true }).catch(() => []);
      for (const e of entries) if (e.isFile()) out.push(path.relative(this.options.root, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
    }
    return out.sort();
  }

  private async saved(): Promise<Record<string, string>> {
    try {
      return (JSON.parse(await readFile(this.options.file, 'utf8')) as Saved).files ?? {};
    } catch {
      return {};
    }
  }

  /** Records the files that are new since the last call, and forgets the ones that are gone. */
  async record(): Promise<void> {
    const saved = await this.saved();
    const files: Record<string, string> = {};
    for (const name of await this.files()) files[name] = saved[name] ?? (await sha256(path.join(this.options.root, name)));
    const body: Saved = { algorithm: 'sha256', files };
    const tmp = `${this.options.file}.tmp-${process.pid}`;
    try {
      await writeFile(tmp, JSON.stringify(body));
      await rename(tmp, this.options.file);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }

  /** Hashes every file and compares it with what was recorded. */
  async check(): Promise<ChecksumReport> {
    const saved = await this.saved();
    const report: ChecksumReport = { problems: [], unrecorded: [], checked: 0 };
    for (const name of await this.files()) {
      const expected = saved[name];
      if (expected === undefined) {
        report.unrecorded.push(name);
        continue;
      }
      report.checked++;
      if ((await sha256(path.join(this.options.root, name))) !== expected) report.problems.push(`${name} changed on disk (its SHA-256 differs from the one recorded when it was written)`);
    }
    return report;
  }
}
