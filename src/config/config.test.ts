import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_ENV_VARS, debugFromEnv, loadConfig, searchLimits, searchLimitsForHelp, tracingFromEnv } from './config.js';

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
  it('search limits come from config: default k lowered to max k, and the help shows the environment\'s', () => {
    expect(searchLimits(loadConfig({ env: {} }))).toEqual({ defaultK: 8, maxK: 100, maxOffset: 10_000, maxQueryChars: 1000 });
    expect(searchLimits(loadConfig({ env: { VITRINE_MAX_K: '5' } }))).toMatchObject({ defaultK: 5, maxK: 5 });
    expect(searchLimits(loadConfig({ env: { VITRINE_DEFAULT_K: '12', VITRINE_MAX_QUERY_CHARS: '80' } }))).toMatchObject({ defaultK: 12, maxQueryChars: 80 });
    expect(searchLimitsForHelp({ VITRINE_MAX_K: '50' })).toMatchObject({ maxK: 50 });
    expect(searchLimitsForHelp({ VITRINE_MAX_K: 'lots' })).toMatchObject({ maxK: 100 });
  });
  it('reads the hub, tracing and debug variables too, and lists them', () => {
    const c = loadConfig({ env: { HF_ENDPOINT: 'http://mirror.local:8080', HF_TOKEN: 'hf_x', QDRANT_API_KEY: 'q', PINECONE_API_KEY: 'p' } });
    expect(c).toMatchObject({ hubEndpoint: 'http://mirror.local:8080', hubToken: 'hf_x', qdrantApiKey: 'q', pineconeApiKey: 'p' });
    expect(() => loadConfig({ env: { HF_ENDPOINT: 'not a url' } })).toThrow(/hubEndpoint/);
    expect(CONFIG_ENV_VARS).toEqual(expect.arrayContaining(['HF_ENDPOINT', 'HF_TOKEN', 'VITRINE_DEFAULT_K', 'QDRANT_API_KEY']));
    expect(tracingFromEnv({})).toEqual({ enabled: false, serviceName: 'vitrine' });
    expect(tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318', OTEL_SERVICE_NAME: 'shop' })).toEqual({ enabled: true, serviceName: 'shop' });
    expect(tracingFromEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://j:4318/v1/traces', OTEL_SDK_DISABLED: 'true' }).enabled).toBe(false);
    expect(tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://j:4318', OTEL_TRACES_EXPORTER: 'none' }).enabled).toBe(false);
    expect([debugFromEnv({}), debugFromEnv({ VITRINE_DEBUG: '1' })]).toEqual([false, true]);
  });
});
