// Latency summaries for the benches: nearest-rank percentiles over samples in milliseconds, and a small pool
// that runs async jobs at a fixed concurrency while timing each one. Pure apart from the clock.

export interface LatencySummary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN for none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const round2 = (x: number) => Math.round(x * 100) / 100;

export function summarize(samples: readonly number[]): LatencySummary {
  const mean = samples.length ? samples.reduce((a, b) => a + b, 0) / samples.length : Number.NaN;
  return { n: samples.length, p50: round2(percentile(samples, 50)), p95: round2(percentile(samples, 95)), p99: round2(percentile(samples, 99)), mean: round2(mean) };
}

/**
 * Runs `job` over `items` with at most `concurrency` in flight, in order of items; returns each item's
 * latency (ms, index-aligned with items) and the wall time of the whole run.
 */
export async function timedPool<T>(items: readonly T[], concurrency: number, job: (item: T) => Promise<unknown>): Promise<{ latencies: number[]; wallMs: number }> {
  const latencies = new Array<number>(items.length);
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      const t0 = performance.now();
      await job(items[i]);
      latencies[i] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return { latencies, wallMs: performance.now() - started };
}

/** Groups latencies by a key of each item (index-aligned). */
export function byKind<T, K extends string>(items: readonly T[], latencies: readonly number[], kindOf: (item: T) => K): Record<K, LatencySummary> {
  const groups = new Map<K, number[]>();
  items.forEach((item, i) => {
    const k = kindOf(item);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(latencies[i]);
  });
  return Object.fromEntries([...groups].map(([k, v]) => [k, summarize(v)])) as Record<K, LatencySummary>;
}
