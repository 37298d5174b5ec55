// Builds eval queries and their relevant documents from a qrels file or from the catalog itself. Pure: the
// caller reads files and products; this module only decides what counts as a query and what is relevant.
import type { Product } from '../domain/types.js';
import { AppError } from '../errors/app-error.js';

/** A text query (`text`) or an image query (`productId`, whose stored image vector is the query). */
export interface EvalQuery {
  id: string;
  text?: string;
  productId?: string;
  relevant: Set<string>;
}

/** Product field usable for grouping: `title`, `id`, or an attribute name such as `baseColour`. */
export function fieldValue(product: Product, field: string): string | undefined {
  const value = field === 'title' ? product.title : field === 'id' ? product.id : product.attributes[field];
  return value === undefined || value === '' ? undefined : value;
}

/** Products whose `split` attribute equals `split`; all products when `split` is undefined. */
export function inSplit(products: readonly Product[], split: string | undefined, splitField = 'split'): Product[] {
  if (split === undefined) return [...products];
  return products.filter((p) => p.attributes[splitField] === split);
}

/** The cut-offs a run reports: the given ones (or the defaults), distinct and ascending; each a positive integer. */
export function evalCutoffs(given: readonly number[] | undefined, defaults: readonly number[]): number[] {
  const ks = [...new Set(given && given.length > 0 ? given : defaults)].sort((a, b) => a - b);
  for (const k of ks) if (!Number.isInteger(k) || k < 1) throw new AppError('BAD_REQUEST', `k must be a positive integer, got ${k}`);
  return ks;
}

/** The products an eval searches: those of `split` (all when undefined); BAD_REQUEST when there are none. */
export function evalGallery(products: readonly Product[], split: string | undefined): Product[] {
  const gallery = inSplit(products, split);
  if (gallery.length === 0) throw new AppError('BAD_REQUEST', split ? `no product of the catalog is in split "${split}"` : 'the catalog has no products');
  return gallery;
}

/**
 * Parses a qrels document in the BEIR/Marqo form `{"<query text>": {"<product id>": 1, ...}, ...}`. A grade above
 * zero is relevant. Relevant ids missing from the gallery are kept (they lower recall, as in BEIR), but counted.
 */
export function parseQrels(document: unknown, galleryIds: ReadonlySet<string>): { queries: EvalQuery[]; unknownIds: number } {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new AppError('BAD_REQUEST', 'qrels must be a JSON object {"<query text>": {"<product id>": 1}}');
  }
  const queries: EvalQuery[] = [];
  let unknownIds = 0;
  for (const [text, judgements] of Object.entries(document as Record<string, unknown>)) {
    if (judgements === null || typeof judgements !== 'object' || Array.isArray(judgements)) {
      throw new AppError('BAD_REQUEST', `qrels entry for query "${text}" must be an object of product id -> grade`);
    }
    const relevant = new Set<string>();
    for (const [id, grade] of Object.entries(judgements as Record<string, unknown>)) {
      if (typeof grade !== 'number' || !Number.isFinite(grade)) {
        throw new AppError('BAD_REQUEST', `qrels grade for query "${text}", product "${id}" must be a number`);
      }
      if (grade > 0) {
        relevant.add(id);
        if (!galleryIds.has(id)) unknownIds++;
      }
    }
    queries.push({ id: text, text, relevant });
  }
  return { queries, unknownIds };
}

/** `"a photo of {}"` applied to a value; a prompt without `{}` gets the value appended after a space. */
export function applyPrompt(prompt: string | undefined, value: string): string {
  if (prompt === undefined) return value;
  return prompt.includes('{}') ? prompt.split('{}').join(value) : `${prompt} ${value}`;
}

function groupIds(products: readonly Product[], field: string): Map<string, Set<string>> {
  const groups = new Map<string, Set<string>>();
  for (const p of products) {
    const value = fieldValue(p, field);
    if (value === undefined) continue;
    let ids = groups.get(value);
    if (!ids) groups.set(value, (ids = new Set()));
    ids.add(p.id);
  }
  return groups;
}

export interface FieldQueryOptions {
  /** Products whose distinct values become queries. */
  queryProducts: readonly Product[];
  /** Products searched; those sharing the query's value are relevant. */
  gallery: readonly Product[];
  field: string;
  /** Template for the query text, e.g. `a photo of {}`. */
  prompt?: string;
}

/**
 * One text query per distinct value of `field` among the query products; relevant = gallery products with exactly
 * that value. Used for `--queries-from title` (field `title`) and for the `attribute` task. Sorted by value.
 */
export function textQueriesFromField(options: FieldQueryOptions): EvalQuery[] {
  const values = new Set<string>();
  for (const p of options.queryProducts) {
    const value = fieldValue(p, options.field);
    if (value !== undefined) values.add(value);
  }
  const galleryGroups = groupIds(options.gallery, options.field);
  return [...values].sort().map((value) => ({
    id: value,
    text: applyPrompt(options.prompt, value),
    relevant: new Set(galleryGroups.get(value) ?? []),
  }));
}

export interface ImageQueryOptions {
  queryProducts: readonly Product[];
  gallery: readonly Product[];
  field: string;
}

/**
 * One image query per query product that has a value for `field`; relevant = other gallery products with the same
 * value (the query product itself is excluded from relevance and, by the runner, from the results).
 */
export function imageQueriesFromField(options: ImageQueryOptions): EvalQuery[] {
  const galleryGroups = groupIds(options.gallery, options.field);
  const queries: EvalQuery[] = [];
  for (const p of options.queryProducts) {
    const value = fieldValue(p, options.field);
    if (value === undefined) continue;
    const relevant = new Set(galleryGroups.get(value) ?? []);
    relevant.delete(p.id);
    queries.push({ id: p.id, productId: p.id, relevant });
  }
  return queries;
}

/** Parses `image`, `text` or `image:0.9,text:0.1` into normalised weights (they sum to 1). */
export function parseDocSpec(spec: string): { image: number; text: number } {
  const weights = { image: 0, text: 0 };
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, raw] = part.split(':').map((s) => s.trim());
    if (name !== 'image' && name !== 'text') {
      throw new AppError('BAD_REQUEST', `--doc: unknown part "${name}" (use image, text or image:0.9,text:0.1)`);
    }
    const weight = raw === undefined ? 1 : Number(raw);
    if (!Number.isFinite(weight) || weight < 0) throw new AppError('BAD_REQUEST', `--doc: bad weight "${raw}" for ${name}`);
    weights[name] += weight;
  }
  const total = weights.image + weights.text;
  if (total <= 0) throw new AppError('BAD_REQUEST', `--doc "${spec}" gives no positive weight`);
  return { image: weights.image / total, text: weights.text / total };
}
