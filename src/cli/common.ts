// Shared CLI plumbing: config from flags, clear one-line errors with exit codes instead of stack traces.
import { debugFromEnv, loadConfig, type Config, type ConfigInput } from '../config/config.js';
import { isAppError, errorMessage } from '../errors/app-error.js';

export interface GlobalFlags {
  data?: string;
  store?: string;
  model?: string;
  config?: string;
  threads?: string;
}

export function configFrom(flags: GlobalFlags & ConfigInput): Config {
  const { data, config, ...rest } = flags;
  return loadConfig({ configFile: config, flags: { ...rest, dataDir: data } });
}

/**
 * Exit codes, the same for every command (README, "Exit codes"): what a script needs to tell apart.
 *   0  finished: every item indexed or skipped as unchanged
 *   1  failed: an error stopped the command (its code and message on stderr)
 *   2  finished, but some items failed (listed in index-failures.jsonl); the rest is indexed
 *   3  interrupted (Ctrl-C, SIGTERM): what was embedded is saved; the same command resumes
 *   70 an unexpected bug (VITRINE_DEBUG=1 prints its stack)
 *   75 the index is locked by another writer (INDEX_LOCKED): retry later
 */
export const EXIT = { ok: 0, failed: 1, itemsFailed: 2, interrupted: 3, bug: 70, locked: 75 } as const;

export function reportError(e: unknown): never {
  if (isAppError(e)) {
    process.stderr.write(`vitrine: error [${e.code}]: ${e.message}\n`);
    process.exit(e.code === 'INDEX_LOCKED' ? EXIT.locked : EXIT.failed);
  }
  process.stderr.write(`vitrine: unexpected error: ${errorMessage(e)}\n`);
  if (debugFromEnv()) process.stderr.write(`${(e as Error)?.stack ?? ''}\n`);
  process.exit(EXIT.bug);
}

export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      reportError(e);
    }
  };
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
