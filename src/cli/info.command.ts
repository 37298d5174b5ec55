// `vitrine info`: what the data dir holds and which model built it.
import type { Command } from 'commander';
import path from 'node:path';
import { action, configFrom, type GlobalFlags } from './common.js';
import { openVectorStore } from '../stores/vector/open-store.js';
import { storeOptions } from '../context.js';

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
        const store = await openVectorStore(storeOptions(config));
        const manifest = await store.readManifest();
        const info = {
          store: config.store ? config.store.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@') : `lance:${path.resolve(config.dataDir)}`,
          count: await store.count(),
          model: manifest?.model.id ?? null,
          modelHash: manifest?.model.hash ?? null,
          dimension: manifest?.model.dimension ?? null,
          attributeFields: manifest?.attributeFields ?? [],
          createdAt: manifest?.createdAt ?? null,
          updatedAt: manifest?.updatedAt ?? null,
        };
        await store.close();
        if (flags.json) process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
        else if (!manifest) process.stdout.write(`store: ${info.store}\nempty: run vitrine index <catalog> first\n`);
        else
          process.stdout.write(
            `store: ${info.store}\nproducts: ${info.count}\nmodel: ${info.model}\nmodel hash: ${info.modelHash}\ndimension: ${info.dimension}\n` +
              `fields: ${info.attributeFields.join(', ')}\nupdated: ${info.updatedAt}\n`,
          );
      }),
    );
}
