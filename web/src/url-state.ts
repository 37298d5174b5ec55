// The shareable part of the page's state and its round trip through the URL. Pure: no DOM, so it is
// easy to test. An uploaded photo is not part of it (a file cannot live in a URL).
//
// Example: ?q=red+dress&mode=keyword&f.gender=Women&f.baseColour=Red&pages=2
//          ?productId=15970&f.articleType=Shirts

import type { Filters, SearchMode } from './api.js';

export interface PageState {
  text: string;
  /** How the text is searched; null for the server's default (so a link follows the server's choice). */
  mode: SearchMode | null;
  /** "More like this": search by the photo of this indexed product. */
  productId: string | null;
  filters: Filters;
  /** How many pages of results are shown (load more adds one); at least 1. */
  pages: number;
}

const FILTER_PREFIX = 'f.';
/** A shared link should not make the page fetch thousands of results. */
export const MAX_PAGES = 20;

const MODES: readonly SearchMode[] = ['vector', 'keyword', 'hybrid'];

export const emptyState = (): PageState => ({ text: '', mode: null, productId: null, filters: {}, pages: 1 });

export function stateFromSearch(search: string): PageState {
  const params = new URLSearchParams(search);
  const state = emptyState();
  state.text = params.get('q') ?? '';
  const mode = params.get('mode');
  state.mode = MODES.find((m) => m === mode) ?? null;
  state.productId = params.get('productId') || null;
  const pages = Number.parseInt(params.get('pages') ?? '1', 10);
  state.pages = Number.isFinite(pages) ? Math.min(Math.max(pages, 1), MAX_PAGES) : 1;
  for (const [name, value] of params) {
    if (!name.startsWith(FILTER_PREFIX) || name.length === FILTER_PREFIX.length || value === '') continue;
    const field = name.slice(FILTER_PREFIX.length);
    const values = (state.filters[field] ??= []);
    if (!values.includes(value)) values.push(value);
  }
  return state;
}

/** The query string for `state`, in a canonical order so equal states give equal URLs ("" when empty). */
export function stateToSearch(state: PageState): string {
  const params = new URLSearchParams();
  if (state.text) params.set('q', state.text);
  if (state.mode) params.set('mode', state.mode);
  if (state.productId) params.set('productId', state.productId);
  for (const field of Object.keys(state.filters).sort()) {
    for (const value of [...state.filters[field]].sort()) params.append(FILTER_PREFIX + field, value);
  }
  if (state.pages > 1) params.set('pages', String(state.pages));
  const query = params.toString();
  return query ? `?${query}` : '';
}

/** A copy of `filters` with `value` of `field` switched on or off; fields left empty are dropped. */
export function toggleFilter(filters: Filters, field: string, value: string, on: boolean): Filters {
  const next: Filters = {};
  for (const [name, values] of Object.entries(filters)) next[name] = [...values];
  const values = (next[field] ?? []).filter((v) => v !== value);
  if (on) values.push(value);
  if (values.length > 0) next[field] = values;
  else delete next[field];
  return next;
}

export function countFilters(filters: Filters): number {
  return Object.values(filters).reduce((sum, values) => sum + values.length, 0);
}
