// `vitrine search`: text or image search on the data dir, or as a client of a running server (--url), printed
// as a table, JSON, or a self-contained HTML page with the photos embedded.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { action, collect, configFrom, type GlobalFlags } from './common.js';
import { buildSearchContext } from '../context.js';
import { loadConfig, searchLimitsForHelp } from '../config/config.js';
import { AppError, errorMessage } from '../errors/app-error.js';
import type { Filters, Hit } from '../domain/types.js';
import type { Hit as WireHit, SearchMode, SearchRequest, SearchResponse, UnmatchedFilter } from '../api/search.schema.js';
import type { ErrorBody } from '../api/status.schema.js';
import { renderResultsPage } from '../http/render-html.js';
import { probeImage } from '../model/image-decode.js';

interface SearchFlags extends GlobalFlags {
  image?: string;
  mode?: SearchMode;
  topK?: string;
  filter?: string[];
  json?: boolean;
  out?: string;
  url?: string;
}

/** A hit from the local index (with its image reference) or from a server (with its image URL). */
type CliHit = Omit<Hit, 'imageRef'> & { imageRef?: string; imageUrl?: string };

/** What the command prints, from the local index or a server alike. */
interface CliAnswer {
  hits: CliHit[];
  mode: SearchMode;
  total: number;
  unmatchedFilters: UnmatchedFilter[];
  tookMs: number;
  truncated: boolean;
}

/** The hint for filter values no product holds: `no product has gender = "womn"; closest: Women, Men, Boys`. */
export function unmatchedFilterHint(unmatched: readonly UnmatchedFilter[]): string[] {
  return unmatched.map(
    (u) => `no product has ${u.field} = ${JSON.stringify(u.value)}` + (u.closest.length > 0 ? `; closest: ${u.closest.join(', ')}` : ''),
  );
}

export function parseFilterFlags(values: string[] = []): Filters | undefined {
  if (values.length === 0) return undefined;
  const filters: Record<string, string[]> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new AppError('BAD_REQUEST', `--filter expects field=value, got "${v}"`);
    const field = v.slice(0, eq).trim();
    (filters[field] ??= []).push(v.slice(eq + 1).trim());
  }
  return filters;
}

async function dataUri(bytes: Buffer): Promise<string> {
  const { format } = await probeImage(bytes, { maxBytes: Infinity, maxPixels: Infinity });
  return `data:image/${format === 'jpeg' ? 'jpeg' : format};base64,${bytes.toString('base64')}`;
}

async function searchViaServer(url: string, body: SearchRequest, image?: Buffer, imageName?: string): Promise<Omit<CliAnswer, 'hits'> & { hits: WireHit[] }> {
  let response: Response;
  try {
    if (image) {
      const form = new FormData();
      form.append('image', new Blob([new Uint8Array(image)]), imageName ?? 'query.jpg');
      for (const [k, v] of Object.entries(body)) if (v !== undefined) form.append(k, typeof v === 'string' ? v : JSON.stringify(v));
      response = await fetch(new URL('/api/search', url), { method: 'POST', body: form });
    } else {
      response = await fetch(new URL('/api/search', url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    }
  } catch (e) {
    throw new AppError('NOT_READY', `no Vitrine server answers at ${url}: ${errorMessage(e)}`);
  }
  // Whatever answers at that address may not be a Vitrine server, so any field may be missing.
  const payload = (await response.json().catch(() => ({}))) as Partial<SearchResponse & ErrorBody>;
  if (!response.ok) throw new AppError('BAD_REQUEST', `server answered ${response.status} ${payload.code ?? ''}: ${payload.message ?? ''}`);
  const hits = payload.hits ?? [];
  return {
    hits,
    mode: payload.mode ?? body.mode ?? 'vector',
    total: payload.total ?? hits.length,
    unmatchedFilters: payload.unmatchedFilters ?? [],
    tookMs: payload.tookMs ?? 0,
    truncated: payload.truncated ?? false,
  };
}

/** The default mode for `--help`: the configured one, or the built-in default when the config is invalid. */
function defaultModeForHelp(): SearchMode {
  try {
    return loadConfig().searchMode;
  } catch {
    return 'vector';
  }
}

export function registerSearchCommand(program: Command): void {
  const limits = searchLimitsForHelp();
  program
    .command('search')
    .description('search the index by text or by image')
    .argument('[text]', 'query text')
    .option('--image <file>', 'search with this photo instead of (or with) a text')
    .option('-k, --top-k <n>', `number of results (default ${limits.defaultK}, at most ${limits.maxK})`)
    .addOption(
      new Option('--mode <mode>', `vector (by meaning), keyword (by words, typos forgiven) or hybrid (both) (default ${defaultModeForHelp()})`).choices(['vector', 'keyword', 'hybrid']),
    )
    .option('--filter <field=value>', 'keep products whose field equals value, compared case-insensitively (repeatable; repeated fields mean "any of")', collect, [])
    .option('--json', 'print JSON')
    .option('--out <file.html>', 'write a self-contained HTML page of the results')
    .option('--url <server>', 'ask a running Vitrine server (e.g. http://localhost:30000) instead of the local data dir')
    .option('--data <dir>', 'data dir')
    .option('--store <url>', 'vector store URL (default lance:<data dir>; postgres://, qdrant://, pinecone://)')
    .option('--model <folder|hf-id>', 'model (must match the index)')
    .option('--config <file>', 'JSON config file')
    .action(
      action(async (text: string | undefined, flags: SearchFlags) => {
        if (!text && !flags.image) throw new AppError('EMPTY_QUERY', 'give a query text or --image <file>');
        const k = flags.topK !== undefined ? Number(flags.topK) : undefined;
        const filters = parseFilterFlags(flags.filter);
        let image: Buffer | undefined;
        if (flags.image) {
          try {
            image = await readFile(flags.image);
          } catch {
            throw new AppError('NOT_FOUND', `image file ${flags.image} does not exist or cannot be read`);
          }
        }
        let answer: CliAnswer;
        const images = new Map<string, string>();
        if (flags.url) {
          const remote = await searchViaServer(flags.url, { text, k, filters, mode: flags.mode }, image, flags.image ? path.basename(flags.image) : undefined);
          answer = remote;
          if (flags.out) {
            for (const h of remote.hits) {
              const src = new URL(h.imageUrl ?? `/images/${encodeURIComponent(h.id)}`, flags.url);
              const response = await fetch(src).catch(() => null);
              if (response?.ok) images.set(h.id, await dataUri(Buffer.from(await response.arrayBuffer())));
            }
          }
        } else {
          const ctx = await buildSearchContext(configFrom({ data: flags.data, store: flags.store, model: flags.model, config: flags.config }));
          try {
            const result = await ctx.search.search({ text, image, k, filters, mode: flags.mode });
            answer = result;
            if (flags.out) {
              for (const h of result.hits) {
                const bytes = await ctx.loadImage(h.imageRef).catch(() => null);
                if (bytes) images.set(h.id, await dataUri(bytes));
              }
            }
          } finally {
            await ctx.close();
          }
        }
        const { hits, tookMs, truncated } = answer;
        if (truncated) process.stderr.write('note: the query text was longer than the model context and was truncated\n');
        for (const line of unmatchedFilterHint(answer.unmatchedFilters)) process.stderr.write(`hint: ${line}\n`);
        if (flags.out) {
          const query = [text ? `"${text}"` : '', flags.image ? `photo ${path.basename(flags.image)}` : ''].filter(Boolean).join(' + ');
          await writeFile(flags.out, renderResultsPage({ query, hits: hits.map((h) => ({ ...h, imageSrc: images.get(h.id) ?? '' })), tookMs }));
          process.stderr.write(`wrote ${flags.out}\n`);
        }
        if (flags.json) {
          const { mode, total, unmatchedFilters } = answer;
          process.stdout.write(`${JSON.stringify({ mode, total, hits: hits.map(({ imageRef: _r, ...h }) => h), unmatchedFilters, tookMs }, null, 2)}\n`);
        } else {
          // Similarity, not the mode's ranking score: it means the same in every mode.
          if (hits.length > 0) process.stdout.write(hits.map((h, i) => `${String(i + 1).padStart(3)}  ${h.similarity.toFixed(4)}  ${h.id.padEnd(10)}  ${h.title}`).join('\n') + '\n');
          process.stdout.write(`${hits.length} of ${answer.total.toLocaleString('en')} matches (${answer.mode}) in ${tookMs.toFixed(1)} ms\n`);
        }
      }),
    );
}
