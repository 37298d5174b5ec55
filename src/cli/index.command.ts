// `vitrine index <catalog>`: embed a catalog's photos into the data dir; resumable, never stopped by one bad item.
import { appendFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { action, configFrom, type GlobalFlags } from './common.js';
import { buildContext } from '../context.js';
import { readCatalog } from '../stores/catalog/read-catalog.js';
import { runIndex, STAGES, type ItemFailure } from '../indexer/indexer.js';
import { AppError } from '../errors/app-error.js';
import { openImageStore } from '../stores/images/image-store.js';
import { redactUrl } from '../stores/vector/model-guard.js';

interface IndexFlags extends GlobalFlags {
  images?: string;
  batchSize?: string;
  force?: boolean;
  ann?: boolean;
  uploadImages?: string;
}

async function countEntries(source: string, images?: string): Promise<number> {
  let n = 0;
  for await (const _ of readCatalog({ source, images })) n++;
  return n;
}

export function registerIndexCommand(program: Command): void {
  program
    .command('index')
    .description('index a catalog (CSV, JSONL or a folder of images) into the data dir')
    .argument('<catalog>', 'catalog .csv / .jsonl file or a folder of images')
    .option('--images <dir>', 'folder with <id>.jpg photos when the catalog has no image column')
    .option('--data <dir>', 'data dir (default ./vitrine-data, env VITRINE_DATA)')
    .option('--store <url>', 'vector store URL (default lance:<data dir>; postgres://, qdrant://, pinecone://)')
    .option('--model <folder|hf-id>', 'model folder or Hugging Face id (default: the house model)')
    .option('--batch-size <n>', 'images per model call (default 32)')
    .option('--threads <n>', 'ONNX Runtime threads')
    .option('--config <file>', 'JSON config file')
    .option('--force', 're-embed items even when unchanged')
    .option('--ann', 'also build an approximate (HNSW) index for large catalogs')
    .option('--upload-images <url>', 'upload original photos to gs://bucket, s3://bucket or a folder, and return those URLs in results')
    .action(
      action(async (catalog: string, flags: IndexFlags) => {
        const config = configFrom({ data: flags.data, store: flags.store, model: flags.model, config: flags.config, batchSize: flags.batchSize, threads: flags.threads });
        const total = await countEntries(catalog, flags.images);
        const ctx = await buildContext(config, { onDownloadProgress: (e) => e.done && process.stderr.write(`downloaded ${e.file}\n`) });
        const tty = process.stderr.isTTY === true;
        const bar = tty
          ? new cliProgress.SingleBar(
              { format: 'indexing [{bar}] {percentage}% | {value}/{total} | {rate}/s | ETA {eta_formatted} | ok {ok} skipped {skipped} failed {failed}', hideCursor: true },
              cliProgress.Presets.shades_classic,
            )
          : null;
        const started = Date.now();
        bar?.start(total, 0, { ok: 0, skipped: 0, failed: 0, rate: '0' });
        const failureLog = path.join(path.resolve(config.dataDir), 'index-failures.jsonl');
        await writeFile(failureLog, '');
        const failures: ItemFailure[] = [];
        // Ctrl-C stops after the batch in flight and writes what was embedded, so a re-run resumes from there.
        const abort = new AbortController();
        process.once('SIGINT', () => abort.abort());
        process.once('SIGTERM', () => abort.abort());
        const uploadImages = flags.uploadImages ? await openImageStore(flags.uploadImages) : undefined;
        const report = await runIndex({
          signal: abort.signal,
          uploadImages,
          entries: readCatalog({ source: catalog, images: flags.images }),
          embedder: ctx.embedder,
          store: ctx.store,
          loadImage: ctx.loadImage,
          batchSize: config.batchSize,
          force: flags.force,
          onProgress: (p) => {
            const rate = (p.processed / Math.max(0.001, (Date.now() - started) / 1000)).toFixed(1);
            bar?.update(p.processed, { ok: p.ok, skipped: p.skipped, failed: p.failed, rate });
          },
          onFailure: (f) => {
            failures.push(f);
            void appendFile(failureLog, `${JSON.stringify(f)}\n`);
          },
        });
        bar?.stop();
        await ctx.store.optimize?.();
        if (flags.ann) {
          if (!ctx.store.createAnnIndex) throw new AppError('BAD_REQUEST', '--ann: this store builds its approximate index itself');
          await ctx.store.createAnnIndex();
        }
        const count = await ctx.store.count();
        const out = process.stdout;
        out.write(
          `indexed ${report.processed} items in ${report.wallSeconds.toFixed(1)} s (${(report.processed / Math.max(report.wallSeconds, 0.001)).toFixed(1)} items/s): ` +
            `ok ${report.ok}, skipped ${report.skipped} (unchanged), failed ${report.failed}\n`,
        );
        out.write(`stage seconds: ${STAGES.map((s) => `${s} ${report.stageSeconds[s].toFixed(2)}`).join(', ')}\n`);
        out.write(`index: ${count} products in ${config.store ? redactUrl(config.store) : `lance:${path.resolve(config.dataDir)}`} (model ${ctx.embedder.manifest.id}, ${ctx.embedder.manifest.dimension} dims)\n`);
        if (report.interrupted) out.write('interrupted: what was embedded so far is saved; run the same command again to resume\n');
        if (failures.length > 0) {
          for (const f of failures.slice(0, 5)) out.write(`  failed ${f.id ?? `row ${f.row}`}: ${f.reason}\n`);
          if (failures.length > 5) out.write(`  ... ${failures.length - 5} more\n`);
          out.write(`all failures: ${failureLog}\n`);
        }
        await ctx.close();
      }),
    );

  program
    .command('delete')
    .description('delete products from the index by id')
    .argument('<ids...>', 'product ids')
    .option('--data <dir>', 'data dir')
    .option('--store <url>', 'vector store URL (default lance:<data dir>; postgres://, qdrant://, pinecone://)')
    .option('--model <folder|hf-id>', 'model (must match the index)')
    .option('--config <file>', 'JSON config file')
    .action(
      action(async (ids: string[], flags: GlobalFlags) => {
        const ctx = await buildContext(configFrom({ data: flags.data, store: flags.store, model: flags.model, config: flags.config }));
        const removed = await ctx.store.delete(ids);
        process.stdout.write(`deleted ${removed} of ${ids.length} ids; ${await ctx.store.count()} products remain\n`);
        await ctx.close();
      }),
    );
}
