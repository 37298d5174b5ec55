// API keys: config holds only their SHA-256 (`sha256:<hex>`), a request presents the key itself, and the match is
// made in constant time over every configured key, so neither a leaked config nor response timing gives a key away.
// Keys are 32 random bytes, so a plain SHA-256 (no salt, no stretching) is enough: nobody guesses 256 bits.
//
// Example:
//   const { key, entry } = newApiKey('shop', ['write']);   // print `key` once; put `entry` in config apiKeys
//   findApiKey(config.apiKeys, presented)?.scopes           // ['write']
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyEntry } from './config.js';

const PREFIX = 'vk_';

export function hashApiKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

/** A new random key and the config entry that accepts it. */
export function newApiKey(name: string, scopes: ApiKeyEntry['scopes']): { key: string; entry: ApiKeyEntry } {
  const key = `${PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, entry: { name, hash: hashApiKey(key), scopes } };
}

/** The configured key a presented key matches, or null; every entry is compared, in constant time. */
export function findApiKey(entries: readonly ApiKeyEntry[], presented: string): ApiKeyEntry | null {
  const digest = Buffer.from(hashApiKey(presented));
  let found: ApiKeyEntry | null = null;
  for (const entry of entries) {
    const expected = Buffer.from(entry.hash);
    if (expected.length === digest.length && timingSafeEqual(expected, digest)) found = entry;
  }
  return found;
}
