import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runVectorStoreContract } from './vector-store.contract.js';
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
