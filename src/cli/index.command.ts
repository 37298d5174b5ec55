// `vitrine index <catalog>`: embed a catalog's photos into the data dir; resumable, never stopped by one bad item.
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { action, configFrom, EXIT, type GlobalFlags } from './common.js';
import { progressOutput } from './progress.js';
import { buildIndexContext } from '../context.js';
import { readCatalog } from '../stores/catalog/read-catalog.js';
import { STAGES, type ItemFailure } from '../services/index.service.js';
import { errorMessage } from '../errors/app-error.js';
import { cleanNativeMessage } from '../errors/system-errors.js';

/**
 * index-failures.jsonl, written in order and never in the way of the run: a log that cannot be written (a full
 * disk) is reported once at the end instead of ending the process with a raw error.
 */
function failureLogWriter(file: string) {
  let chain: Promise<void> = Promise.resolve();
  const state = { problem: null as string | null };
  const guard = (p: Promise<void>) =>
    p.catch((e: unknown) => {
      state.problem ??= cleanNativeMessage(errorMessage(e));
    });
  return {
    get problem() {
      return state.problem;
    },
    async start(): Promise<void> {
      await guard(mkdir(path.dirname(file), { recursive: true }).then(() => writeFile(file, '')));
    },
    add(failure: ItemFailure): void {
      chain = chain.then(() => (state.problem ? undefined : guard(appendFile(file, `${JSON.stringify(failure)}\n`))));
    },
    close: () => chain,
  };
}

interface IndexFlags extends GlobalFlags {
  images?: string;
  batchSize?: string;
  force?: boolean;
  ann?: boolean;
  uploadImages?: string;
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
        const ctx = await buildIndexContext(config, {
          uploadImages: flags.uploadImages,
          onDownloadProgress: (e) => e.done && process.stderr.write(`downloaded ${e.file}\n`),
        });
        // A bar on a terminal; a line with done/total, rate and ETA every few seconds in a log.
        const progress = progressOutput('indexing');
        const failureLog = path.join(path.resolve(config.dataDir), 'index-failures.jsonl');
        const failures: ItemFailure[] = [];
        const log = failureLogWriter(failureLog);
        // Ctrl-C stops after the batch in flight and writes what was embedded, so a re-run resumes from there.
        const abort = new AbortController();
        process.once('SIGINT', () => abort.abort());
        process.once('SIGTERM', () => abort.abort());
        try {
          // One writer at a time: the lock covers the run and the compaction after it (INDEX_LOCKED, exit 75, if taken).
          const report = await ctx.indexer.exclusive('vitrine index', async () => {
            const result = await ctx.indexer.run({
              signal: abort.signal,
              entries: readCatalog({ source: catalog, images: flags.images }),
              force: flags.force,
              // The catalog is read (once) before anything is logged: a missing catalog leaves the failure log alone.
              onStart: async (total) => {
                await log.start();
                progress.start(total);
              },
              onProgress: (p) => progress.update(p.processed, `ok ${p.ok}, skipped ${p.skipped}, failed ${p.failed}`),
              onFailure: (f) => {
                failures.push(f);
                log.add(f);
              },
            });
            progress.stop();
            // An interrupted run leaves compaction to the next one: the user asked it to stop.
            if (!result.interrupted) {
              await ctx.indexer.maintain({ ann: flags.ann });
              // Still under the lock, so the copy is of the version this run leaves. Only a cache: a failure is said
              // and the run stands (a server then reads the store and saves it itself).
              await ctx.saveServeCopy().catch((e: unknown) => process.stderr.write(`warning: the copy for serve was not saved (${errorMessage(e)})\n`));
            }
            return result;
          });
          await log.close();
          const count = await ctx.store.count();
          const out = process.stdout;
          out.write(
            `indexed ${report.processed} items in ${report.wallSeconds.toFixed(1)} s (${(report.processed / Math.max(report.wallSeconds, 0.001)).toFixed(1)} items/s): ` +
              `ok ${report.ok}, skipped ${report.skipped} (unchanged), failed ${report.failed}\n`,
          );
          out.write(`CPU ${report.cpuSeconds.toFixed(1)} s (${(report.cpuSeconds / Math.max(report.wallSeconds, 0.001)).toFixed(2)} cores busy)\n`);
          out.write(`stage seconds (wall time each stage had work in flight; stages run side by side): ${STAGES.map((s) => `${s} ${report.stageSeconds[s].toFixed(2)}`).join(', ')}\n`);
          out.write(`index: ${count} products in ${ctx.storeLabel} (model ${ctx.embedder.manifest.id}, ${ctx.embedder.manifest.dimension} dims)\n`);
          if (report.interrupted) out.write('interrupted: what was embedded so far is saved; run the same command again to resume\n');
          if (failures.length > 0) {
            for (const f of failures.slice(0, 5)) out.write(`  failed ${f.id ?? `row ${f.row}`}: ${f.reason}\n`);
            if (failures.length > 5) out.write(`  ... ${failures.length - 5} more\n`);
            out.write(log.problem ? `the failure log could not be written (${log.problem})\n` : `all failures: ${failureLog}\n`);
          }
          process.exitCode = report.interrupted ? EXIT.interrupted : report.failed > 0 ? EXIT.itemsFailed : EXIT.ok;
        } finally {
          await ctx.close();
        }
      }),
    );
}
