// `vitrine serve`: the HTTP API, web page and seed-compatible routes.
import type { Command } from 'commander';
import { action, configFrom, reportError, type GlobalFlags } from './common.js';
import { startServer } from '../http/server.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the search API and web page (default port 30000)')
    .option('--port <n>', 'port (env VITRINE_PORT)')
    .option('--host <host>', 'address to listen on (default 0.0.0.0)')
    .option('--data <dir>', 'data dir')
    .option('--store <url>', 'vector store URL (default lance:<data dir>; postgres://, qdrant://, pinecone://)')
    .option('--model <folder|hf-id>', 'model (must match the index)')
    .option('--threads <n>', 'ONNX Runtime threads')
    .option('--config <file>', 'JSON config file')
    .action(
      action(async (flags: GlobalFlags & { port?: string; host?: string }) => {
        const config = configFrom({ data: flags.data, store: flags.store, model: flags.model, config: flags.config, port: flags.port, host: flags.host, threads: flags.threads });
        const { url, context } = await startServer({ config });
        process.stderr.write(`vitrine: listening on ${url} (loading model...)\n`);
        // A model or index that cannot be loaded ends the process with the reason instead of serving 503s forever.
        context.then(() => process.stderr.write(`vitrine: ready on ${url}\n`)).catch(reportError);
      }),
    );
}
