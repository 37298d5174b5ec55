// `vitrine verify`: checks an index against itself (manifest against data, the store's own checksums, every record)
// and says what is damaged; exit 1 with INDEX_CORRUPT when anything is. Reads only: it takes no writer lock.
import type { Command } from 'commander';
import { action, configFrom, type GlobalFlags } from './common.js';
import { buildInfoContext } from '../context.js';
import { AppError } from '../errors/app-error.js';

export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description('check an index: manifest against data, data file checksums, every record (exit 1 if damaged)')
    .option('--data <dir>', 'data dir')
    .option('--store <url>', 'vector store URL (default lance:<data dir>; postgres://, qdrant://, pinecone://)')
    .option('--quick', 'skip reading every record (manifest and checksums only)')
    .option('--json', 'print the report as JSON')
    .option('--config <file>', 'JSON config file')
    .action(
      action(async (flags: GlobalFlags & { quick?: boolean; json?: boolean }) => {
        const ctx = await buildInfoContext(configFrom({ data: flags.data, store: flags.store, config: flags.config }));
        let report;
        try {
          if (!ctx.store.verify) throw new AppError('CONFIG_ERROR', `${ctx.storeLabel} cannot be verified`);
          report = await ctx.store.verify({ deep: !flags.quick });
        } finally {
          await ctx.close();
        }
        if (flags.json) process.stdout.write(`${JSON.stringify({ store: ctx.storeLabel, ...report }, null, 2)}\n`);
        for (const warning of report.warnings) process.stderr.write(`warning: ${warning}\n`);
        if (!report.ok) {
          if (!flags.json) for (const problem of report.problems) process.stdout.write(`problem: ${problem}\n`);
          throw new AppError('INDEX_CORRUPT', `${ctx.storeLabel}: ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}: ${report.problems[0]}`);
        }
        if (!flags.json) process.stdout.write(`index OK: ${report.count} products in ${ctx.storeLabel}${flags.quick ? ' (quick check)' : ''}\n`);
      }),
    );
}
