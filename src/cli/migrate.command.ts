// `vitrine migrate --from <store-url> --to <store-url>`: copies an index between stores (e.g. embedded -> pgvector)
// in batches, resumable, and exits non-zero when the target does not hold exactly the source's products.
import type { Command } from 'commander';
import { action, configFrom, type GlobalFlags } from './common.js';
import { progressOutput } from './progress.js';
import { AppError } from '../errors/app-error.js';
import { STORE_URL_FORMS } from '../stores/vector/open-store.js';
import { redactUrl } from '../stores/vector/model-guard.js';
import { migrateIndex } from '../services/migrate.service.js';
import { withWriterLock } from '../stores/vector/writer-lock.js';
import { buildMigrateContext } from '../context.js';

interface MigrateFlags extends GlobalFlags {
  from: string;
  to: string;
  batchSize: string;
  json?: boolean;
}

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('copy an index from one vector store to another (resumable; verifies counts)')
    .requiredOption('--from <url>', `source store URL (${STORE_URL_FORMS})`)
    .requiredOption('--to <url>', 'target store URL')
    .option('--batch-size <n>', 'records per read and write', '500')
    .option('--data <dir>', 'data dir (for a bare lance: URL)')
    .option('--config <file>', 'JSON config file')
    .option('--json', 'print the report as JSON')
    .action(
      action(async (flags: MigrateFlags) => {
        const config = configFrom({ data: flags.data, config: flags.config });
        const batchSize = Number(flags.batchSize);
        if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) {
          throw new AppError('BAD_REQUEST', `--batch-size must be an integer from 1 to 100000, not ${flags.batchSize}`);
        }
        if (flags.from === flags.to) throw new AppError('BAD_REQUEST', '--from and --to name the same store');
        const stores = await buildMigrateContext(config, { from: flags.from, to: flags.to });
        const progress = progressOutput('migrate');
        let started = false;
        try {
          // The target is written: it takes the writer lock like `vitrine index` would. The source is only read.
          const report = await withWriterLock(stores.to, 'vitrine migrate', () => migrateIndex({
            from: stores.from,
            to: stores.to,
            batchSize,
            onProgress: (p, total) => {
              if (!started) progress.start(total);
              started = true;
              progress.update(p.scanned, `${p.copied} copied, ${p.skipped} already there`);
            },
          }));
          progress.stop();
          if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
          else
            process.stdout.write(
              `migrated ${redactUrl(flags.from)} -> ${redactUrl(flags.to)}: ${report.copied} copied, ${report.skipped} already there, ` +
                `source ${report.sourceCount}, target ${report.targetCount}, ${report.wallSeconds.toFixed(1)} s\n`,
            );
          if (!report.ok) {
            throw new AppError(
              'STORE_ERROR',
              `verification failed: source has ${report.sourceCount} products, target ${report.targetCount}; ${report.missing} missing or different` +
                (report.missingIds.length > 0 ? ` (e.g. ${report.missingIds.slice(0, 5).join(', ')})` : '') +
                (report.targetCount > report.sourceCount ? '; the target holds products the source lacks (migrate into an empty store)' : ''),
              { details: { ...report } },
            );
          }
        } finally {
          await stores.close();
        }
      }),
    );
}
