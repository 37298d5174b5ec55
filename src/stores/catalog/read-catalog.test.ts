import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCatalog, type CatalogEntry } from './read-catalog.js';

async function all(source: string, images?: string): Promise<CatalogEntry[]> {
  const out: CatalogEntry[] = [];
  for await (const e of readCatalog({ source, images })) out.push(e);
  return out;
}

describe('readCatalog', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vitrine-read-'));
    await mkdir(path.join(dir, 'pics'));
    await writeFile(path.join(dir, 'pics', '7.png'), 'x');
    await writeFile(path.join(dir, 'pics', 'blue_silk-scarf.jpg'), 'x');
    await writeFile(path.join(dir, 'pics', 'notes.txt'), 'x');
  });

  it('reads CSV: id, title, image column relative to the file, other columns as attributes', async () => {
    const csv = path.join(dir, 'a.csv');
    await writeFile(csv, '\ufeffid,title,image,colour,empty\n1,"Red, bright dress",pics/1.jpg,Red,\n2,Blue jeans,https://example.com/2.jpg,Blue,\n3,Abs,/abs/3.jpg,,\n');
    const entries = await all(csv);
    expect(entries).toEqual([
      { ok: true, row: 2, product: { id: '1', title: 'Red, bright dress', imageRef: path.join(dir, 'pics/1.jpg'), attributes: { colour: 'Red' } } },
      { ok: true, row: 3, product: { id: '2', title: 'Blue jeans', imageRef: 'https://example.com/2.jpg', attributes: { colour: 'Blue' } } },
      { ok: true, row: 4, product: { id: '3', title: 'Abs', imageRef: '/abs/3.jpg', attributes: {} } },
    ]);
  });

  it('uses <images>/<id>.<ext> when there is no image column, like the shared catalog', async () => {
    const csv = path.join(dir, 'b.csv');
    await writeFile(csv, 'id,title,gender\n7,Seven,Men\n8,Eight,Women\n');
    const entries = await all(csv, path.join(dir, 'pics'));
    expect(entries.map((e) => e.ok && e.product.imageRef)).toEqual([path.join(dir, 'pics/7.png'), path.join(dir, 'pics/8.jpg')]);
  });

  it('reports rows without id or image, duplicates, and bad JSONL lines as failed entries', async () => {
    const csv = path.join(dir, 'c.csv');
    await writeFile(csv, 'id,title,image\n,No id,x.jpg\n5,No image,\n6,Ok,x.jpg\n6,Dup,y.jpg\n');
    const entries = await all(csv);
    expect(entries.map((e) => e.ok)).toEqual([false, false, true, false]);
    expect(entries[0]).toMatchObject({ ok: false, reason: expect.stringMatching(/no id/) });
    expect(entries[1]).toMatchObject({ ok: false, reason: expect.stringMatching(/no image column/) });
    expect(entries[3]).toMatchObject({ ok: false, reason: expect.stringMatching(/duplicate id 6/) });
    const jsonl = path.join(dir, 'd.jsonl');
    await writeFile(jsonl, '{"id":"a","name":"A","image":"a.jpg","attributes":{"size":"M"}}\n{broken\n[1]\n\n{"id":"b","title":"B","image":"b.jpg","tags":["x"]}\n');
    const lines = await all(jsonl);
    expect(lines.map((e) => e.ok)).toEqual([true, false, false, true]);
    expect(lines[0]).toMatchObject({ product: { id: 'a', title: 'A', attributes: { size: 'M' } } });
    expect(lines[3]).toMatchObject({ product: { attributes: { tags: '["x"]' } } });
  });

  it('reads a folder of images, id = file name without extension', async () => {
    const entries = await all(path.join(dir, 'pics'));
    expect(entries.map((e) => e.ok && [e.product.id, e.product.title])).toEqual([
      ['7', '7'],
      ['blue_silk-scarf', 'blue silk scarf'],
    ]);
  });

  it('fails clearly on a missing catalog or unknown format', async () => {
    await expect(all(path.join(dir, 'missing.csv'))).rejects.toMatchObject({ code: 'CATALOG_ERROR' });
    await writeFile(path.join(dir, 'e.xml'), '<x/>');
    await expect(all(path.join(dir, 'e.xml'))).rejects.toThrow(/expected a .csv or .jsonl/);
    await expect(all(path.join(dir, 'b.csv'), path.join(dir, 'nope'))).rejects.toThrow(/images folder/);
  });

  describe('CSV rows with stray quotes (issue 12)', () => {
    it('keeps a stray quote inside a field as text and numbers rows by their file line', async () => {
      const csv = path.join(dir, 'quotes.csv');
      await writeFile(csv, 'id,title,gender\n1,"Two\nlines",Men\n\n2,Levis 32" waist jeans,Men\n3,"32" slim fit,Women\n4,Cap,Women\n');
      const entries = await all(csv, path.join(dir, 'pics'));
      expect(entries.map((e) => (e.ok ? [e.product.id, e.product.title] : e.reason))).toEqual([
        ['1', 'Two\nlines'],
        ['2', 'Levis 32" waist jeans'],
        ['3', '"32" slim fit'],
        ['4', 'Cap'],
      ]);
    });

    it('a quote that never closes fails its own row (naming its line) and the rows after it are read', async () => {
      const csv = path.join(dir, 'unclosed.csv');
      await writeFile(csv, 'id,title,gender\n1,Shirt,Men\n2,"Jeans 32 waist,Men\n3,Cap,Women\n\n4,"Two\nlines",Men\n');
      const entries = await all(csv, path.join(dir, 'pics'));
      expect(entries.filter((e) => e.ok).map((e) => e.ok && e.product.id)).toEqual(['1', '3', '4']);
      const failed = entries.find((e) => !e.ok);
      expect(failed).toMatchObject({ ok: false, row: 3, id: '2' });
      expect(!failed!.ok && failed!.reason).toMatch(/^row 3: a quoted field is never closed: "2,\\"Jeans 32 waist,Men"/);
    });

    it('several broken rows each fail on their own line', async () => {
      const csv = path.join(dir, 'many.csv');
      const lines = ['id,title,gender,colour'];
      for (let i = 1; i <= 30; i++) lines.push(i % 10 === 0 ? `${i},"broken ${i},Men,Red` : `${i},fine ${i},Women,Blue`);
      await writeFile(csv, lines.join('\n') + '\n');
      const entries = await all(csv, path.join(dir, 'pics'));
      expect(entries.filter((e) => e.ok)).toHaveLength(27);
      expect(entries.filter((e) => !e.ok).map((e) => !e.ok && e.row)).toEqual([11, 21, 31]);
    });
  });
});
