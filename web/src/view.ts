// Rendering: turns results, facets and errors into DOM. No fetching and no state changes here;
// user actions are handed back through the callbacks the controller passes in.

import type { Facets, Filters, Hit } from './api.js';
import { byId, h } from './dom.js';
import { isUnspecified, valueLabel } from './wording.js';

/** What the product is, shown above its title: the first of these the product has. */
const KIND_ATTRIBUTES = ['articleType', 'subCategory', 'masterCategory'];
/** Attributes worth a chip on a result card, in this order; others only show in the filters. */
const KEY_ATTRIBUTES = ['baseColour', 'gender', 'season', 'usage'];
const MAX_CHIPS = 3;
/** Values shown per facet before "Show all". */
const FACET_PREVIEW = 8;

const numberFormat = new Intl.NumberFormat('en');

/** "baseColour" -> "Base colour", "article_type" -> "Article type". */
export function fieldLabel(field: string): string {
  const words = field
    .replace(/[_-]+/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${numberFormat.format(Math.round(ms))} ms`;
}

/** A photo the server cannot send leaves a labelled placeholder, not a broken-image icon. */
function replaceMissingPhoto(event: Event): void {
  (event.target as HTMLElement).replaceWith(h('div', { class: 'photo-missing', role: 'img', 'aria-label': 'Photo unavailable' }, 'No photo'));
}

/**
 * Result cards: photo, what the product is (article type) above its title, a few key attributes, and "More like
 * this". No score: the ranking already says which is closest, and a raw number means nothing to a shopper (the
 * API keeps it).
 */
export function renderHits(grid: HTMLElement, hits: Hit[], append: boolean, onMoreLikeThis: (hit: Hit) => void): void {
  const cards = hits.map((hit) => {
    const kindField = KIND_ATTRIBUTES.find((field) => hit.attributes[field] && !isUnspecified(hit.attributes[field]));
    const chips = KEY_ATTRIBUTES.filter((field) => hit.attributes[field] && !isUnspecified(hit.attributes[field]))
      .slice(0, MAX_CHIPS)
      .map((field) => h('li', { title: fieldLabel(field) }, hit.attributes[field]));
    return h(
      'li',
      { class: 'card', 'data-id': hit.id },
      h('img', { src: hit.imageUrl, alt: '', loading: 'lazy', decoding: 'async', width: 240, height: 320, onerror: replaceMissingPhoto }),
      kindField ? h('p', { class: 'kind', title: fieldLabel(kindField) }, hit.attributes[kindField]) : null,
      h('h3', { class: 'title' }, hit.title || hit.id),
      chips.length > 0 ? h('ul', { class: 'chips', 'aria-label': 'Details' }, ...chips) : null,
      h(
        'button',
        { type: 'button', class: 'more-like', 'aria-label': `More like this: ${hit.title || hit.id}`, onclick: () => onMoreLikeThis(hit) },
        'More like this',
      ),
    );
  });
  if (append) grid.append(...cards);
  else grid.replaceChildren(...cards);
}

export interface FacetCallbacks {
  onToggle(field: string, value: string, on: boolean): void;
}

/** Fields whose full value list the user opened; kept across re-renders. */
const expandedFields = new Set<string>();

/**
 * Draws one fieldset of checkboxes per facet field, in the server's order (`order`: the most selective field
 * first). Selected values stay listed (with their count, or 0) even when the server's counts no longer include
 * them, so a filter can always be switched off. Placeholder values ("NA") read "Not specified" and come last.
 * Keyboard focus survives the redraw.
 */
export function renderFacets(container: HTMLElement, facets: Facets, order: readonly string[], filters: Filters, callbacks: FacetCallbacks): void {
  const focused = document.activeElement as HTMLElement | null;
  const focusKey = focused && container.contains(focused) ? focused.dataset.key : undefined;

  // The server's facet fields in its order, then any field only a filter (a shared link) names.
  const fields = [...new Set([...order.filter((f) => f in facets), ...Object.keys(facets), ...Object.keys(filters)])];

  const groups = fields.map((field) => {
    const selected = filters[field] ?? [];
    const values = [...(facets[field] ?? [])];
    for (const value of selected) {
      if (!values.some((v) => v.value === value)) values.push({ value, count: 0 });
    }
    values.sort((a, b) => Number(isUnspecified(a.value)) - Number(isUnspecified(b.value)));
    if (values.length === 0) return null;
    const expanded = expandedFields.has(field) || values.length <= FACET_PREVIEW + 2;
    const shown = expanded ? values : values.filter((v, i) => i < FACET_PREVIEW || selected.includes(v.value));
    const id = `facet-${field.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    return h(
      'fieldset',
      { class: 'facet', id },
      h('legend', {}, fieldLabel(field)),
      ...shown.map((v) =>
        h(
          'label',
          { class: v.count === 0 ? 'facet-value zero' : 'facet-value' },
          h('input', {
            type: 'checkbox',
            name: field,
            value: v.value,
            checked: selected.includes(v.value),
            'data-key': `${field}\u0000${v.value}`,
            onchange: (event) => callbacks.onToggle(field, v.value, (event.target as HTMLInputElement).checked),
          }),
          h('span', { class: isUnspecified(v.value) ? 'facet-name unspecified' : 'facet-name' }, valueLabel(v.value)),
          h('span', { class: 'count', 'aria-label': `${v.count} products` }, numberFormat.format(v.count)),
        ),
      ),
      values.length > shown.length || expandedFields.has(field)
        ? h(
            'button',
            {
              type: 'button',
              class: 'link show-all',
              'aria-expanded': expandedFields.has(field) ? 'true' : 'false',
              'aria-controls': id,
              'data-key': `${field}\u0000#toggle`,
              onclick: () => {
                if (expandedFields.has(field)) expandedFields.delete(field);
                else expandedFields.add(field);
                renderFacets(container, facets, order, filters, callbacks);
              },
            },
            expandedFields.has(field) ? 'Show fewer' : `Show all ${values.length}`,
          )
        : null,
    );
  });
  container.replaceChildren(...groups.filter((g): g is HTMLFieldSetElement => g !== null));

  if (focusKey) {
    const again = [...container.querySelectorAll<HTMLElement>('[data-key]')].find((el) => el.dataset.key === focusKey);
    again?.focus();
  }
}

export function showError(title: string, message: string, retry: boolean): void {
  byId('error-title').textContent = title;
  byId('error-message').textContent = message;
  byId('retry').hidden = !retry;
  byId('error').hidden = false;
}

export function hideError(): void {
  byId('error').hidden = true;
}
