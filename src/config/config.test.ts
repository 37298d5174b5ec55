import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('has defaults', () => {
    const c = loadConfig({ env: {} });
    expect(c).toMatchObject({ dataDir: './vitrine-data', port: 30000, batchSize: 32, maxK: 100 });
    expect(Object.isFrozen(c)).toBe(true);
  });
  it('applies file < env < flags', async () => {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'cfg-')), 'c.json');
    await writeFile(file, JSON.stringify({ port: 1000, dataDir: '/from-file', batchSize: 4 }));
    const c = loadConfig({ configFile: file, env: { VITRINE_PORT: '2000', VITRINE_DATA: '/from-env' }, flags: { port: 3000, dataDir: undefined } });
    expect(c).toMatchObject({ port: 3000, dataDir: '/from-env', batchSize: 4 });
  });
  it('reports every bad key at once', () => {
    expect(() => loadConfig({ env: { VITRINE_PORT: 'abc', VITRINE_BATCH_SIZE: '0', VITRINE_LOG_LEVEL: 'loud' } })).toThrow(/port.*batchSize.*logLevel/);
  });
});
