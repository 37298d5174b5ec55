// Load against a running Vitrine server, for the reliability tests and the soak (scripts/soak.ts): a fixed number of
// clients each sending one search after another, every answer sorted into ok / shed (503 with Retry-After: a
// store outage or a full queue, which the server says how long to wait out) / failed (anything else: a 5xx without
// Retry-After, a 4xx, a refused or reset connection). Latencies of answered requests give the percentiles.
export interface LoadOptions {
  url: string;
  /** Clients sending at once. */
  concurrency: number;
  /** Stops sending new requests when aborted; requests in flight finish. */
  signal: AbortSignal;
  /** Query texts, used in turn with a counter appended so the results cache does not answer them. */
  texts?: readonly string[];
  /** Per-request timeout; a request over it counts as failed. */
  requestTimeoutMs?: number;
  /** Extra JSON fields sent with every search (filters, k). */
  extra?: Record<string, unknown>;
}

export interface LoadFailure {
  at: number;
  status: number | null;
  code?: string;
  message: string;
}

export interface LoadStats {
  requests: number;
  ok: number;
  /** 503 answers that carried Retry-After (store outage, full queue): counted apart from failures. */
  shed: number;
  failed: number;
  /** The first failures, for the report. */
  failures: LoadFailure[];
  byStatus: Record<string, number>;
  latenciesMs: number[];
}

const DEFAULT_TEXTS = ['navy blue shirt', 'red dress', 'black leather shoes', 'white sneakers', 'denim jeans', 'summer top', 'wrist watch', 'handbag'];

export function emptyStats(): LoadStats {
  return { requests: 0, ok: 0, shed: 0, failed: 0, failures: [], byStatus: {}, latenciesMs: [] };
}

/** p (0-100) of the values, nearest rank; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** One search: how it ended, and how long it took. */
async function searchOnce(options: LoadOptions, text: string): Promise<{ status: number | null; retryAfter: boolean; code?: string; message: string }> {
  try {
    const response = await fetch(new URL('/api/search', options.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text, k: 10, ...options.extra }),
      signal: AbortSignal.timeout(options.requestTimeoutMs ?? 60_000),
    });
    const body = (await response.json().catch(() => ({}))) as { code?: string; message?: string };
    return { status: response.status, retryAfter: response.headers.has('retry-after'), code: body.code, message: body.message ?? '' };
  } catch (e) {
    return { status: null, retryAfter: false, message: e instanceof Error ? `${e.message}${e.cause ? `: ${String((e.cause as Error).message ?? e.cause)}` : ''}` : String(e) };
  }
}

/** Sends searches from `concurrency` clients until the signal aborts; adds into `stats` (so phases can share one). */
export async function runLoad(options: LoadOptions, stats: LoadStats = emptyStats()): Promise<LoadStats> {
  const texts = options.texts ?? DEFAULT_TEXTS;
  let counter = 0;
  const client = async () => {
    while (!options.signal.aborted) {
      const n = counter++;
      const started = performance.now();
      const r = await searchOnce(options, `${texts[n % texts.length]} ${n}`);
      const ms = performance.now() - started;
      stats.requests++;
      const key = r.status === null ? 'network' : String(r.status);
      stats.byStatus[key] = (stats.byStatus[key] ?? 0) + 1;
      if (r.status === 200) {
        stats.ok++;
        stats.latenciesMs.push(ms);
      } else if (r.status === 503 && r.retryAfter) {
        stats.shed++;
      } else {
        stats.failed++;
        if (stats.failures.length < 20) stats.failures.push({ at: Date.now(), status: r.status, code: r.code, message: r.message });
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, client));
  return stats;
}

/** Resident memory of a process in bytes (Linux /proc), or null when it is gone. */
export async function rssOf(pid: number): Promise<number | null> {
  const { readFile } = await import('node:fs/promises');
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status);
    return kb ? Number(kb[1]) * 1024 : null;
  } catch {
    return null;
  }
}
