// `vitrine delete <id...>`: removes products from the index by id (with the model the index was built with).
import type { Command } from 'commander';
import { action, configFrom, type GlobalFlags } from './common.js';
import { buildDeleteContext } from '../context.js';
import { withWriterLock } from '../stores/vector/writer-lock.js';

export function registerDeleteCommand(program: Command): void {
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
        const ctx = await buildDeleteContext(configFrom({ data: flags.data, store: flags.store, model: flags.model, config: flags.config }));
        try {
          const removed = await withWriterLock(ctx.store, 'vitrine delete', () => ctx.store.delete(ids));
          process.stdout.write(`deleted ${removed} of ${ids.length} ids; ${await ctx.store.count()} products remain\n`);
        } finally {
          await ctx.close();
        }
      }),
    );
}
