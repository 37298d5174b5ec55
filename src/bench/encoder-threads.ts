// `node dist/bench/encoder-threads.js`: how ONNX Runtime's thread settings serve queries on this machine. For each
// setting (intra-op threads x spin-waiting), batch-1 text and image encodes of distinct catalog queries, one after
// another: p50 / p95 latency and the process's CPU time per query (spinning pool threads show up there), then
// batch-32 image throughput as indexing uses it. Settings run interleaved in rounds so that a busy machine
// disturbs them alike.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { HOUSE_MODEL_DIR, PACKAGE_ROOT } from '../model/load-model.js';
import { OnnxEmbedder } from '../model/onnx.embedder.js';
import { readCatalog } from '../stores/catalog/read-catalog.js';
import { summarize } from './latency.stats.js';

const { values: args } = parseArgs({
  options: {
    shared: { type: 'string', default: path.resolve(PACKAGE_ROOT, '../shared/data/fashion-products') },
    model: { type: 'string', default: HOUSE_MODEL_DIR },
    queries: { type: 'string', default: '300' },
    rounds: { type: 'string', default: '3' },
  },
});

interface Setting {
  name: string;
  threads: number;
  spinning: boolean;
}

const SETTINGS: Setting[] = [
  { name: '2 threads, spinning (before)', threads: 2, spinning: true },
  { name: '2 threads, no spinning', threads: 2, spinning: false },
  { name: '1 thread', threads: 1, spinning: false },
];

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

async function main() {
  const n = Number(args.queries);
  const texts: string[] = [];
  const photos: Buffer[] = [];
  for await (const e of readCatalog({ source: path.join(args.shared!, 'catalog.csv'), images: path.join(args.shared!, 'images') })) {
    if (!e.ok || e.product.attributes.split !== 'val') continue;
    texts.push(e.product.title.toLowerCase());
    if (photos.length < n) photos.push(await readFile(e.product.imageRef));
    if (texts.length >= n * Number(args.rounds)) break;
  }
  const embedders = new Map<string, OnnxEmbedder>();
  for (const s of SETTINGS) embedders.set(s.name, await OnnxEmbedder.load({ dir: args.model!, threads: s.threads, spinning: s.spinning }));
  const results = new Map<string, { text: number[]; textCpu: number; image: number[]; imageCpu: number; batchRate: number[] }>();
  for (const s of SETTINGS) results.set(s.name, { text: [], textCpu: 0, image: [], imageCpu: 0, batchRate: [] });
  const pixels = await Promise.all(photos.slice(0, 64).map((b) => embedders.get(SETTINGS[0].name)!.preprocessImage(b)));
  for (let round = 0; round < Number(args.rounds); round++) {
    for (const s of SETTINGS) {
      const e = embedders.get(s.name)!;
      const r = results.get(s.name)!;
      const roundTexts = texts.slice(round * n, (round + 1) * n);
      let c0 = process.cpuUsage();
      for (const t of roundTexts) {
        const t0 = performance.now();
        await e.encodeTexts([t]);
        r.text.push(performance.now() - t0);
      }
      r.textCpu += cpuMs(process.cpuUsage(c0));
      c0 = process.cpuUsage();
      for (const p of photos) {
        const t0 = performance.now();
        await e.encodeImages([p]);
        r.image.push(performance.now() - t0);
      }
      r.imageCpu += cpuMs(process.cpuUsage(c0));
      const t0 = performance.now();
      await e.encodePixels(pixels.slice(0, 32));
      await e.encodePixels(pixels.slice(32, 64));
      r.batchRate.push(64 / ((performance.now() - t0) / 1000));
    }
  }
  console.log(`\n## ONNX Runtime settings for queries (${n} distinct texts and photos per round, ${args.rounds} rounds, batch 1, sequential)`);
  console.log('| setting | text p50 ms | p95 | CPU ms per text query | image p50 ms | p95 | CPU ms per image query | batch-32 images/s |');
  console.log('|---|---|---|---|---|---|---|---|');
  const summary: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    const r = results.get(s.name)!;
    const text = summarize(r.text);
    const image = summarize(r.image);
    const batch = r.batchRate.sort((a, b) => a - b)[Math.floor(r.batchRate.length / 2)];
    console.log(`| ${s.name} | ${text.p50} | ${text.p95} | ${(r.textCpu / r.text.length).toFixed(2)} | ${image.p50} | ${image.p95} | ${(r.imageCpu / r.image.length).toFixed(2)} | ${batch.toFixed(0)} |`);
    summary[s.name] = { text, textCpuMs: r.textCpu / r.text.length, image, imageCpuMs: r.imageCpu / r.image.length, batchImagesPerSecond: batch };
  }
  console.log(`\nENCODER_THREADS_JSON ${JSON.stringify(summary)}`);
  for (const e of embedders.values()) await e.close();
}

await main();
