// `vitrine info`: what the data dir holds and which model built it; NO_INDEX (and nothing created) where no index is.
import type { Command } from 'commander';
import { action, configFrom, type GlobalFlags } from './common.js';
import { buildInfoContext, servedSearch } from '../context.js';

export function registerInfoCommand(program: Command): void {
  program
    .command('info')
    .description('show the index: model, count, dimension, store, fields')
    .option('--data <dir>', 'data dir')
    .option('--store <url>', 'vector store URL (default lance:<data dir>; postgres://, qdrant://, pinecone://)')
    .option('--json', 'print JSON')
    .option('--config <file>', 'JSON config file')
    .action(
      action(async (flags: GlobalFlags & { json?: boolean }) => {
        const config = configFrom({ data: flags.data, store: flags.store, config: flags.config });
        const ctx = await buildInfoContext(config);
        const { manifest } = ctx;
        let count: number;
        try {
          count = await ctx.store.count();
        } finally {
          await ctx.close();
        }
        const info = {
          store: ctx.storeLabel,
          count,
          model: manifest.model.id,
          modelHash: manifest.model.hash,
          dimension: manifest.model.dimension,
          attributeFields: manifest.attributeFields,
          createdAt: manifest.createdAt,
          updatedAt: manifest.updatedAt,
          search: await servedSearch(config, count, ctx.store.searchSettings?.()),
        };
        if (flags.json) process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
        else
          process.stdout.write(
            `store: ${info.store}\nproducts: ${info.count}\nmodel: ${info.model}\nmodel hash: ${info.modelHash}\ndimension: ${info.dimension}\n` +
              `fields: ${info.attributeFields.join(', ')}\nupdated: ${info.updatedAt}\nsearch (serve): ${info.search.description}\n`,
          );
      }),
    );
}
