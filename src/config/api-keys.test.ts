import { describe, expect, it } from 'vitest';
import { findApiKey, hashApiKey, newApiKey } from './api-keys.js';
import { loadConfig } from './config.js';

describe('API keys', () => {
  it('makes random keys whose config entry holds only the hash, and finds them by the key', () => {
    const a = newApiKey('shop', ['write']);
    const b = newApiKey('reader', ['read']);
    expect(a.key).not.toBe(b.key);
    expect(a.entry.hash).toBe(hashApiKey(a.key));
    expect(JSON.stringify(a.entry)).not.toContain(a.key);
    expect(findApiKey([a.entry, b.entry], a.key)).toBe(a.entry);
    expect(findApiKey([a.entry, b.entry], b.key)?.scopes).toEqual(['read']);
    expect(findApiKey([a.entry, b.entry], `${a.key}x`)).toBeNull();
    expect(findApiKey([], a.key)).toBeNull();
  });
  it('config refuses plain keys and takes hashed ones from a file or the environment', () => {
    const { entry } = newApiKey('shop', ['read', 'write']);
    expect(loadConfig({ env: { VITRINE_API_KEYS: JSON.stringify([entry]) } }).apiKeys).toEqual([entry]);
    expect(() => loadConfig({ env: { VITRINE_API_KEYS: JSON.stringify([{ name: 'shop', hash: 'vk_plainkey', scopes: ['write'] }]) } })).toThrow(/plain keys are never stored/);
    expect(() => loadConfig({ env: { VITRINE_API_KEYS: 'not json' } })).toThrow(/apiKeys/);
  });
});
