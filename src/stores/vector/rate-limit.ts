// Retries for hosted stores (Qdrant Cloud, Pinecone): HTTP 429 and passing 5xx errors are retried with
// exponential backoff and jitter, honouring the server's Retry-After. Anything else fails at once.

export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** First backoff delay; doubles per retry, capped at maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 5, baseDelayMs: 250, maxDelayMs: 20_000 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null | undefined, now = Date.now()): number | undefined {
  if (header === null || header === undefined || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function backoffMs(retry: number, policy: RetryPolicy): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return exp / 2 + (Math.random() * exp) / 2;
}

/** What a failed attempt means: retry (after the server's delay, if it named one) or give up. */
export type RetryDecision = { retry: false } | { retry: true; afterMs?: number };

/** Runs `fn`, retrying while `classify` says so and retries remain. */
export async function withRetry<T>(fn: () => Promise<T>, classify: (e: unknown) => RetryDecision, policy: RetryPolicy = DEFAULT_RETRY): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await fn();
    } catch (e) {
      const decision = classify(e);
      if (!decision.retry || retry >= policy.maxRetries) throw e;
      await sleep(Math.min(policy.maxDelayMs, decision.afterMs ?? backoffMs(retry, policy)));
    }
  }
}

/**
 * A fetch that retries 429 and 502-504 responses itself (for SDKs that accept a fetch implementation but do not
 * expose Retry-After in their errors).
 */
export function retryingFetch(policy: RetryPolicy = DEFAULT_RETRY, base: typeof fetch = globalThis.fetch): typeof fetch {
  return async (input, init) => {
    for (let retry = 0; ; retry++) {
      const response = await base(input, init);
      const retryable = response.status === 429 || (response.status >= 502 && response.status <= 504);
      if (!retryable || retry >= policy.maxRetries) return response;
      const afterMs = retryAfterMs(response.headers.get('retry-after'));
      await response.arrayBuffer().catch(() => undefined);
      await sleep(Math.min(policy.maxDelayMs, afterMs ?? backoffMs(retry, policy)));
    }
  };
}
