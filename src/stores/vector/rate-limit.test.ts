import { describe, expect, it } from 'vitest';
import { backoffMs, retryAfterMs, retryingFetch, withRetry } from './rate-limit.js';

const policy = { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 5 };

describe('rate-limit retries', () => {
  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs('0')).toBe(0);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });

  it('backs off exponentially with jitter, capped', () => {
    const p = { maxRetries: 5, baseDelayMs: 100, maxDelayMs: 1000 };
    for (let i = 0; i < 20; i++) {
      expect(backoffMs(0, p)).toBeGreaterThanOrEqual(50);
      expect(backoffMs(0, p)).toBeLessThanOrEqual(100);
      expect(backoffMs(10, p)).toBeLessThanOrEqual(1000);
    }
  });

  it('withRetry retries what the classifier allows, up to maxRetries', async () => {
    let calls = 0;
    const flaky = async () => {
      if (++calls < 3) throw Object.assign(new Error('429'), { status: 429 });
      return 'ok';
    };
    expect(await withRetry(flaky, () => ({ retry: true, afterMs: 0 }), policy)).toBe('ok');
    expect(calls).toBe(3);
    calls = 0;
    await expect(withRetry(flaky, () => ({ retry: false }), policy)).rejects.toThrow('429');
    expect(calls).toBe(1);
    calls = -10;
    await expect(withRetry(flaky, () => ({ retry: true }), policy)).rejects.toThrow('429');
    expect(calls).toBe(-6);
  });

  it('retryingFetch retries 429 and 503, not 400', async () => {
    const statuses = [429, 503, 200, 400];
    let i = 0;
    const base = (async () => new Response('x', { status: statuses[i++], headers: { 'retry-after': '0' } })) as typeof fetch;
    const f = retryingFetch(policy, base);
    expect((await f('http://x')).status).toBe(200);
    expect(i).toBe(3);
    expect((await f('http://x')).status).toBe(400);
    expect(i).toBe(4);
  });
});
