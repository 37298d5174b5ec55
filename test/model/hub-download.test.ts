// Hugging Face ids download once into the cache, file by file with progress, from HF_ENDPOINT; here a local
// HTTP stand-in serves the tiny fixture (tests never need the network).
import { createServer, type Server } from 'node:http';
import { readFile, mkdtemp, rm, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEmbedder, type DownloadProgress } from '../../src/model/load-model.js';

const TINY_MODEL = path.resolve(import.meta.dirname, '../fixtures/tiny-clip');

describe('model from a Hugging Face id', () => {
  let server: Server;
  let endpoint: string;
  let cacheDir: string;
  const requests: string[] = [];
  beforeAll(async () => {
    cacheDir = await mkdtemp(path.join(os.tmpdir(), 'vitrine-hub-'));
    server = createServer(async (req, res) => {
      requests.push(req.url ?? '');
      const m = /^\/acme\/tiny-clip\/resolve\/main\/(.+)$/.exec(req.url ?? '');
      if (!m) return res.writeHead(404).end();
      try {
        const bytes = await readFile(path.join(TINY_MODEL, m[1]));
        res.writeHead(200, { 'content-length': bytes.length }).end(bytes);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    server.close();
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('downloads once with progress, then loads from the cache', async () => {
    const events: DownloadProgress[] = [];
    const first = await loadEmbedder({ model: 'acme/tiny-clip', cacheDir, hubEndpoint: endpoint, onProgress: (e) => events.push(e), threads: 1 });
    expect(first.manifest.dimension).toBe(16);
    expect(events.filter((e) => e.done).map((e) => e.file).sort()).toEqual(
      ['config.json', 'onnx/text_model.onnx', 'onnx/vision_model.onnx', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json'],
    );
    expect(events.find((e) => e.done && e.file === 'onnx/text_model.onnx')?.totalBytes).toBeGreaterThan(1000);
    await first.close();
    const before = requests.length;
    const second = await loadEmbedder({ model: 'acme/tiny-clip', cacheDir, hubEndpoint: endpoint, threads: 1 });
    expect(requests.length).toBe(before);
    expect(second.manifest.hash).toBe(first.manifest.hash);
    await second.close();
    expect((await readdir(path.join(cacheDir, 'acme/tiny-clip/onnx'))).sort()).toEqual(['text_model.onnx', 'vision_model.onnx']);
  });

  it('names the failing file when the hub does not have the model', async () => {
    await expect(loadEmbedder({ model: 'acme/missing', cacheDir, hubEndpoint: endpoint })).rejects.toThrow(/could not download .*acme\/missing\/resolve\/main\/config.json: HTTP 404/);
  });
});
