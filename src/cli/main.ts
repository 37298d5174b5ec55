#!/usr/bin/env node
// The `vitrine` command line: one file per command; each parses flags, loads config, builds the context and
// calls a service.
import { Command } from 'commander';
import { registerIndexCommand } from './index.command.js';
import { registerDeleteCommand } from './delete.command.js';
import { registerSearchCommand } from './search.command.js';
import { registerServeCommand } from './serve.command.js';
import { registerInfoCommand } from './info.command.js';
import { registerEvalCommand } from './eval.command.js';
import { registerMigrateCommand } from './migrate.command.js';
import { registerVerifyCommand } from './verify.command.js';
import { registerKeysCommand } from './keys.command.js';
import { CONFIG_ENV_VARS, tracingFromEnv } from '../config/config.js';
import { startTracing } from '../observability/tracing.js';

const program = new Command();
program
  .name('vitrine')
  .description('Search a fashion catalog by text and by image, offline.')
  .version('0.1.0')
  .addHelpText('after', `\nEnvironment: ${CONFIG_ENV_VARS.join(', ')}`);

registerIndexCommand(program);
registerDeleteCommand(program);
registerServeCommand(program);
registerSearchCommand(program);
registerInfoCommand(program);
registerEvalCommand(program);
registerMigrateCommand(program);
registerVerifyCommand(program);
registerKeysCommand(program);

// Traces go out by OTLP only when OTEL_EXPORTER_OTLP_ENDPOINT (or the traces variant) is set.
const tracing = startTracing({ settings: tracingFromEnv() });
await program.parseAsync(process.argv);
if (tracing.enabled && process.argv[2] !== 'serve') await tracing.shutdown().catch(() => undefined);
