import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelManifest, record, runVectorStoreContract } from './vector-store.contract.js';
import { openLanceStore } from '../../src/stores/vector/lance.vector-store.js';

let dir = '';
runVectorStoreContract(
  'LanceDB (embedded)',
  async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vitrine-lance-'));
    return openLanceStore({ dataDir: dir });
  },
  async () => rm(dir, { recursive: true, force: true }),
);

describe('LanceDB writes: adding or replacing without a scan per batch', () => {
  it('replaces, never duplicates, ids written before a delete, a compaction or another writer', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'vitrine-lance-ids-'));
    const first = await openLanceStore({ dataDir });
    const second = await openLanceStore({ dataDir });
    try {
      await first.bindModel(modelManifest(), ['colour']);
      await first.upsert([record('a', 1, { colour: 'Red' }), record('b', 2, { colour: 'Blue' })]);
      await first.upsert([record('a', 3, { colour: 'Green' }), record('c', 4)]);
      expect(await first.count()).toBe(3);
      await first.delete(['b']);
      await first.upsert([record('b', 5, { colour: 'Black' })]);
      await first.optimize?.();
      await first.upsert([record('b', 6, { colour: 'White' })]);
      expect(await first.count()).toBe(3);
      // Another store (as another process would) adds one id and replaces one; the first store writes both again.
      await second.upsert([record('d', 7), record('a', 8, { colour: 'Pink' })]);
      await new Promise((resolve) => setTimeout(resolve, 1100)); // readConsistencyInterval: 1 s
      await first.upsert([record('d', 9, { colour: 'Navy' }), record('a', 10, { colour: 'Grey' })]);
      expect(await first.count()).toBe(4);
      expect((await first.get('a'))?.attributes.colour).toBe('Grey');
      expect((await first.get('d'))?.attributes.colour).toBe('Navy');
      expect((await first.get('b'))?.attributes.colour).toBe('White');
    } finally {
      await first.close();
      await second.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
