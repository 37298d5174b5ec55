// Load against a running Vitrine server, for the reliability tests and the soak (scripts/soak.ts): a fixed number of
// clients each sending one search after another (text, and photo uploads when photos are given), and optionally
// writers that add and remove products through the write API. Every answer is sorted into ok / shed (503 with
// Retry-After: a store outage or a full queue, which the server says how long to wait out) / locked (409
// INDEX_LOCKED with Retry-After: another process holds the writer lock; writes only) / failed (anything else: a 5xx
// without Retry-After, an unexpected 4xx, a refused or reset connection). Latencies of answered requests give the
// percentiles.
export interface LoadOptions {
  url: string;
  /** Clients sending at once. */
  concurrency: number;
  /** Stops sending new requests when aborted; requests in flight finish. */
  signal: AbortSignal;
  /** Query texts, used in turn with a counter appended so the results cache does not answer them. */
  texts?: readonly string[];
  /** Photos (JPEG bytes) to search by upload; with `imageEvery`, every n-th search is an upload. */
  images?: readonly Buffer[];
  /** Every n-th search uploads a photo (default 4 when photos are given). */
  imageEvery?: number;
  /** Per-request timeout; a request over it counts as failed. */
  requestTimeoutMs?: number;
  /** Extra JSON fields sent with every text search (filters, k). */
  extra?: Record<string, unknown>;
}

export interface WriteLoadOptions {
  url: string;
  /** Writers sending at once. */
  concurrency: number;
  signal: AbortSignal;
  /** A key with scope `write`. */
  apiKey: string;
  /** Photos to upload with the products. */
  images: readonly Buffer[];
  /** Product ids are `<idPrefix><n>`; the writer cycles through `ids` of them, adding then removing each. */
  idPrefix?: string;
  ids?: number;
  /** Pause after each write, as a shop's updates come (default 250 ms): back-to-back writers would hold the writer
   * lock nearly all the time, and `vitrine index` refuses to start while another writer holds it. */
  pauseMs?: number;
  requestTimeoutMs?: number;
  /** Awaited before each write: lets the soak hold writes back while another writer starts. */
  gate?: () => Promise<void>;
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
  /** Writes answered 409 INDEX_LOCKED with Retry-After (another writer held the index): counted apart too. */
  locked: number;
  failed: number;
  /** The first failures, for the report. */
  failures: LoadFailure[];
  /** Answers by HTTP status ("network" for none), every kind counted. */
  byStatus: Record<string, number>;
  /** Latencies of ok answers. */
  latenciesMs: number[];
  /** Ok answers of photo uploads (searches) among `ok`. */
  okUploads: number;
}

const DEFAULT_TEXTS = ['navy blue shirt', 'red dress', 'black leather shoes', 'white sneakers', 'denim jeans', 'summer top', 'wrist watch', 'handbag'];

export function emptyStats(): LoadStats {
  return { requests: 0, ok: 0, shed: 0, locked: 0, failed: 0, failures: [], byStatus: {}, latenciesMs: [], okUploads: 0 };
}

/** p (0-100) of the values, nearest rank; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

interface Answer {
  status: number | null;
  retryAfterSeconds: number | null;
  code?: string;
  message: string;
}

async function send(url: URL, init: RequestInit, timeoutMs: number): Promise<Answer> {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const body = (await response.json().catch(() => ({}))) as { code?: string; message?: string };
    const retryAfter = response.headers.get('retry-after');
    return { status: response.status, retryAfterSeconds: retryAfter === null ? null : Number(retryAfter), code: body.code, message: body.message ?? '' };
  } catch (e) {
    return { status: null, retryAfterSeconds: null, message: e instanceof Error ? `${e.message}${e.cause ? `: ${String((e.cause as Error).message ?? e.cause)}` : ''}` : String(e) };
  }
}

type Verdict = 'ok' | 'shed' | 'locked' | 'failed';

/** Counts one answer into `stats`; `okStatuses` are the answers the request hoped for. */
function record(stats: LoadStats, answer: Answer, ms: number, okStatuses: readonly number[], locking: boolean): Verdict {
  stats.requests++;
  const key = answer.status === null ? 'network' : String(answer.status);
  stats.byStatus[key] = (stats.byStatus[key] ?? 0) + 1;
  let verdict: Verdict = 'failed';
  if (answer.status !== null && okStatuses.includes(answer.status)) verdict = 'ok';
  else if (answer.status === 503 && answer.retryAfterSeconds !== null) verdict = 'shed';
  else if (locking && answer.status === 409 && answer.code === 'INDEX_LOCKED' && answer.retryAfterSeconds !== null) verdict = 'locked';
  if (verdict === 'ok') {
    stats.ok++;
    stats.latenciesMs.push(ms);
  } else if (verdict === 'shed') stats.shed++;
  else if (verdict === 'locked') stats.locked++;
  else {
    stats.failed++;
    if (stats.failures.length < 20) stats.failures.push({ at: Date.now(), status: answer.status, code: answer.code, message: answer.message });
  }
  return verdict;
}

function photoForm(photo: Buffer, fields: Record<string, string>): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('image', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'photo.jpg');
  return form;
}

/** Sends searches from `concurrency` clients until the signal aborts; adds into `stats` (so phases can share one). */
export async function runLoad(options: LoadOptions, stats: LoadStats = emptyStats()): Promise<LoadStats> {
  const texts = options.texts ?? DEFAULT_TEXTS;
  const images = options.images ?? [];
  const imageEvery = images.length > 0 ? (options.imageEvery ?? 4) : 0;
  const timeoutMs = options.requestTimeoutMs ?? 60_000;
  const url = new URL('/api/search', options.url);
  let counter = 0;
  const client = async () => {
    while (!options.signal.aborted) {
      const n = counter++;
      const upload = imageEvery > 0 && n % imageEvery === imageEvery - 1;
      const init: RequestInit = upload
        ? { method: 'POST', body: photoForm(images[n % images.length], { k: '10' }) }
        : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: `${texts[n % texts.length]} ${n}`, k: 10, ...options.extra }) };
      const started = performance.now();
      const answer = await send(url, init, timeoutMs);
      if (record(stats, answer, performance.now() - started, [200], false) === 'ok' && upload) stats.okUploads++;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, client));
  return stats;
}

/**
 * Adds products through the write API (multipart PUT with a photo) and removes them again (DELETE) until the
 * signal aborts. A writer told INDEX_LOCKED waits out Retry-After (at most a second, so the soak keeps probing).
 */
export async function runWrites(options: WriteLoadOptions, stats: LoadStats = emptyStats()): Promise<LoadStats> {
  const prefix = options.idPrefix ?? 'soak-';
  const ids = options.ids ?? 50;
  const timeoutMs = options.requestTimeoutMs ?? 60_000;
  const headers = { authorization: `Bearer ${options.apiKey}` };
  let counter = 0;
  const writer = async () => {
    while (!options.signal.aborted) {
      await options.gate?.();
      if (options.signal.aborted) break;
      const n = counter++;
      const id = `${prefix}${n % ids}`;
      const url = new URL(`/api/products/${id}`, options.url);
      const photo = options.images[n % options.images.length];
      let started = performance.now();
      let answer = await send(url, { method: 'PUT', headers, body: photoForm(photo, { title: `Soak product ${n}`, attributes: JSON.stringify({ baseColour: 'Red' }) }) }, timeoutMs);
      let verdict = record(stats, answer, performance.now() - started, [200], true);
      if (verdict === 'ok' && !options.signal.aborted) {
        started = performance.now();
        answer = await send(url, { method: 'DELETE', headers }, timeoutMs);
        verdict = record(stats, answer, performance.now() - started, [200], true);
      }
      const pause = verdict === 'ok' ? (options.pauseMs ?? 250) : Math.min(1000, (answer.retryAfterSeconds ?? 0.2) * 1000);
      await new Promise((r) => setTimeout(r, pause));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, writer));
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
