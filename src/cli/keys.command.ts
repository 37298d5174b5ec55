// `vitrine keys new`: a new API key for the write API (or protected reads). Prints the key once, and the config
// entry that accepts it (its SHA-256 only): the server never stores or logs the key itself.
import { Command, InvalidArgumentError, Option } from 'commander';
import { newApiKey } from '../config/api-keys.js';
import { ApiKeySchema, type ApiKeyEntry } from '../config/config.js';
import { action } from './common.js';

function scopes(value: string): ApiKeyEntry['scopes'] {
  const list = value.split(',').map((s) => s.trim());
  if (!list.every((s) => s === 'read' || s === 'write')) throw new InvalidArgumentError('scopes are read and/or write, e.g. read,write');
  return list as ApiKeyEntry['scopes'];
}

export function registerKeysCommand(program: Command): void {
  const keys = program.command('keys').description('API keys for the write API and protected routes');
  keys
    .command('new')
    .description('make a new API key: prints the key (once) and the config entry holding its hash')
    .requiredOption('--name <name>', 'who holds the key (shown in logs, counted by rate limits)')
    .addOption(new Option('--scopes <list>', 'read, write or read,write (write keys may read too)').argParser(scopes).default(['write'] as ApiKeyEntry['scopes']))
    .option('--rate-limit <n>', 'requests per minute for this key (default: config rateLimitPerMinute)')
    .action(
      action(async (flags: { name: string; scopes: ApiKeyEntry['scopes']; rateLimit?: string }) => {
        const { key, entry } = newApiKey(flags.name, flags.scopes);
        const checked = ApiKeySchema.parse({ ...entry, ...(flags.rateLimit ? { rateLimitPerMinute: flags.rateLimit } : {}) });
        process.stdout.write(
          `key (shown once; give it to the client as "Authorization: Bearer <key>"):\n  ${key}\n\n` +
            `config entry (add it to "apiKeys" in the config file, or to VITRINE_API_KEYS as a JSON list):\n  ${JSON.stringify(checked)}\n`,
        );
      }),
    );
}
