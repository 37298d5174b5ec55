// The in-memory store that the services' unit tests use keeps the same contract as the real stores.
import { runVectorStoreContract } from './vector-store.contract.js';
import { MemoryVectorStore } from '../../src/stores/vector/memory.vector-store.js';

runVectorStoreContract(
  'MemoryVectorStore',
  async () => MemoryVectorStore.create(),
  async () => undefined,
);
