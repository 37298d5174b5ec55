// What the page says about a result list and its filters, as pure functions of the answer, so every state
// reads right (and is tested) without a browser: counts that mean what they say ("24 of 1,240 matches" only
// where the list holds matches, not the whole catalog), the modes in shoppers' words, "Not specified" for the
// catalog's placeholders.

import type { SearchMode } from './api.js';

const numbers = new Intl.NumberFormat('en');

/** What the results were searched with. */
export type QueryKind = 'text' | 'photo' | 'like';

/** The mode control's choices, in shoppers' words (the API's names are in the value). */
export const MODE_LABELS: Record<SearchMode, string> = {
  hybrid: 'Words and look',
  vector: 'Look alike',
  keyword: 'Exact words',
};

/** One line under the control: what the chosen mode does. */
export const MODE_HINTS: Record<SearchMode, string> = {
  hybrid: 'Products whose words match, and products that look like what you describe.',
  vector: 'Products whose photos look like what you describe, even without the words.',
  keyword: 'Products whose title or details hold your words (small typos are forgiven).',
};

export interface CountsWording {
  kind: QueryKind;
  /** The mode that ranked the answer (a photo or "more like this" is always by look). */
  mode: SearchMode;
  shown: number;
  total: number;
  filtered: boolean;
}

/**
 * The count line. Keyword and hybrid lists hold the products that match the words, so they are "matches"; a
 * search by look ranks every product, so it says how many products were ranked, closest first.
 */
export function countsText(c: CountsWording): string {
  const shown = numbers.format(c.shown);
  const total = numbers.format(c.total);
  if (c.total === 0) return c.filtered ? 'No products match the filters' : 'No matches';
  if (c.kind === 'like') return `${shown} most similar of ${total} other products`;
  if (c.kind === 'photo') return `${shown} closest to your photo, of ${total} products`;
  if (c.mode === 'vector') return `${shown} of ${total} products, closest to your words first`;
  return `${shown} of ${total} ${c.total === 1 ? 'match' : 'matches'}`;
}

/** The catalog's placeholders for "no value" ("NA", "N/A", "-", "none", empty) in the words a shopper reads. */
export function valueLabel(value: string): string {
  return isUnspecified(value) ? 'Not specified' : value;
}

export function isUnspecified(value: string): boolean {
  return /^\s*(n\/?a|none|null|unknown|-+)?\s*$/i.test(value);
}

/** "No product has Gender “womn”. Closest: Women, Men." */
export function unmatchedText(field: string, value: string, closest: readonly string[]): string {
  return `No product has ${field} “${value}”.` + (closest.length > 0 ? ` Closest: ${closest.map(valueLabel).join(', ')}.` : '');
}
