// Finds the outside services the scale-out suites need (env vars, or the env file scripts/postgres/start.sh
// writes) and says LOUDLY when a suite is skipped because one is missing.
import { existsSync, readFileSync } from 'node:fs';

const PG_ENV_FILE = process.env.VITRINE_PG_ENV_FILE ?? '/tmp/vitrine-pg.env';

function fromEnvFile(key: string): string | undefined {
  if (!existsSync(PG_ENV_FILE)) return undefined;
  for (const line of readFileSync(PG_ENV_FILE, 'utf8').split('\n')) {
    const m = /^(?:export\s+)?([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m && m[1] === key) return m[2];
  }
  return undefined;
}

/** An env var, else the same key from the Postgres env file. */
export function testEnv(key: string): string | undefined {
  return process.env[key] || fromEnvFile(key) || undefined;
}

export function warnSkipped(suite: string, why: string, howTo: string): void {
  const bar = '!'.repeat(100);
  console.warn(`\n${bar}\n!! SKIPPED: ${suite}\n!! ${why}\n!! ${howTo}\n${bar}\n`);
}

export const PG_HOW_TO = 'run scripts/postgres/start.sh (and start-replica.sh) first, or set VITRINE_TEST_PG_URL';

/** The test Postgres URL, or undefined after a loud warning. */
export function pgUrlOrWarn(suite: string, key = 'VITRINE_TEST_PG_URL'): string | undefined {
  const url = testEnv(key);
  if (!url) warnSkipped(suite, `${key} is not set and ${PG_ENV_FILE} does not name it`, PG_HOW_TO);
  return url;
}

/** The URL with query options added (table=..., exact=1, ...). */
export function withOptions(url: string, options: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(options)) u.searchParams.set(k, v);
  return u.toString();
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
}
