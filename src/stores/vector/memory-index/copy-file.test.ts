import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CopyFile, type SavedCopy } from './copy-file.js';

const DIM = 4;

function copy(key = 'v7|abc'): SavedCopy {
  const n = 3;
  const vectors = new Float32Array(n * DIM).map((_, i) => (i % 5) / 7 - 0.25);
  return {
    key,
    dim: DIM,
    rows: {
      ids: ['a', 'b', 'c ü'],
      vectors,
      columns: [
        { field: 'colour', values: ['Red', 'Blue'], codes: Uint32Array.from([1, 2, 0]) },
        { field: 'gender', values: ['Women'], codes: Uint32Array.from([1, 1, 1]) },
      ],
    },
    payload: { titles: ['Red "dress"', 'Blue\nshirt', 'ünï'], imageRefs: ['a.jpg', 'b.jpg', ''], contentHashes: ['h1', 'h2', 'h3'] },
  };
}

describe('CopyFile', () => {
  let dir: string;
  let file: CopyFile;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vitrine-copy-'));
    file = new CopyFile(path.join(dir, 'memory-copy.bin'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('reads back what it wrote, vectors in a buffer with the rows to spare', async () => {
    const saved = copy();
    await file.write(saved);
    const read = await file.read({ key: saved.key, dim: DIM, spareRows: () => 5 });
    expect(read).not.toBeNull();
    expect(read!.rows.ids).toEqual(saved.rows.ids);
    expect(Array.from(read!.rows.vectors)).toEqual(Array.from(saved.rows.vectors));
    expect(read!.rows.vectors.buffer.byteLength).toBe((3 + 5) * DIM * 4);
    expect(read!.rows.columns.map((c) => ({ ...c, codes: Array.from(c.codes) }))).toEqual(saved.rows.columns.map((c) => ({ ...c, codes: Array.from(c.codes) })));
    expect(read!.payload).toEqual(saved.payload);
  });

  it("removes the temp files of writers that died before their rename, not a live writer's", async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    await writeFile(path.join(dir, `memory-copy.bin.tmp-${dead}-0a0b0c0d`), 'half a copy');
    await writeFile(path.join(dir, `memory-copy.bin.tmp-${process.ppid}-01020304`), 'being written');
    await writeFile(path.join(dir, 'unrelated.tmp-1-2'), 'not ours');
    await file.write(copy());
    expect((await readdir(dir)).sort()).toEqual(['memory-copy.bin', `memory-copy.bin.tmp-${process.ppid}-01020304`, 'unrelated.tmp-1-2']);
  });

  it('is no copy for another key or dimension, or when missing', async () => {
    await file.write(copy('v7|abc'));
    expect(await file.read({ key: 'v8|abc', dim: DIM })).toBeNull();
    expect(await file.read({ key: 'v7|abd', dim: DIM })).toBeNull();
    expect(await file.read({ key: 'v7|abc', dim: DIM + 1 })).toBeNull();
    expect(await new CopyFile(path.join(dir, 'none.bin')).read({ key: 'v7|abc', dim: DIM })).toBeNull();
  });

  it('is no copy when truncated, when a byte changed, or when not a copy at all', async () => {
    const saved = copy();
    await file.write(saved);
    const whole = await readFile(file.path);
    await truncate(file.path, whole.length - 1);
    expect(await file.read({ key: saved.key, dim: DIM })).toBeNull();
    for (const at of [40, whole.length - 30, whole.length - 2]) {
      const flipped = Buffer.from(whole);
      flipped[at] ^= 0x10;
      await writeFile(file.path, flipped);
      expect(await file.read({ key: saved.key, dim: DIM }), `byte ${at}`).toBeNull();
    }
    await writeFile(file.path, 'VITRCPY1 not really');
    expect(await file.read({ key: saved.key, dim: DIM })).toBeNull();
    await writeFile(file.path, whole);
    expect(await file.read({ key: saved.key, dim: DIM })).not.toBeNull();
  });
});
