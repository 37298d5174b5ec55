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

/** Exit codes: 1 = a reported error (bad input, missing file, mismatched model...), 70 = an unexpected bug. */
export function reportError(e: unknown): never {
  if (isAppError(e)) {
    process.stderr.write(`vitrine: error [${e.code}]: ${e.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`vitrine: unexpected error: ${errorMessage(e)}\n`);
  if (debugFromEnv()) process.stderr.write(`${(e as Error)?.stack ?? ''}\n`);
  process.exit(70);
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
