#!/usr/bin/env node
// The `vitrine` command line: one file per command; each parses flags, loads config, builds the context and
// calls a service.
import { Command } from 'commander';
import { CONFIG_ENV_VARS, tracingFromEnv } from '../config/config.js';
import { startTracing } from '../observability/tracing.js';

const program = new Command();
program
  .name('vitrine')
  .description('Search a fashion catalog by text and by image, offline.')
  .version('0.1.0')
  .addHelpText('after', `\nEnvironment: ${CONFIG_ENV_VARS.join(', ')}`);

type Register = (program: Command) => void;
const COMMANDS: Record<string, () => Promise<Register>> = {
  index: async () => (await import('./index.command.js')).registerIndexCommand,
  delete: async () => (await import('./delete.command.js')).registerDeleteCommand,
  serve: async () => (await import('./serve.command.js')).registerServeCommand,
  search: async () => (await import('./search.command.js')).registerSearchCommand,
  info: async () => (await import('./info.command.js')).registerInfoCommand,
  eval: async () => (await import('./eval.command.js')).registerEvalCommand,
  migrate: async () => (await import('./migrate.command.js')).registerMigrateCommand,
  verify: async () => (await import('./verify.command.js')).registerVerifyCommand,
  keys: async () => (await import('./keys.command.js')).registerKeysCommand,
};
// Only the command being run is loaded (a server's cold start skips eval, indexing and migration code); help and
// an unknown command load them all, so that help lists every command and commander can suggest the nearest.
const named = process.argv[2];
for (const name of named && named in COMMANDS ? [named] : Object.keys(COMMANDS)) (await COMMANDS[name]())(program);

// Traces go out by OTLP only when OTEL_EXPORTER_OTLP_ENDPOINT (or the traces variant) is set.
const tracing = await startTracing({ settings: tracingFromEnv() });
await program.parseAsync(process.argv);
if (tracing.enabled && process.argv[2] !== 'serve') await tracing.shutdown().catch(() => undefined);
