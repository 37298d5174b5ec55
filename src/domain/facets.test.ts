import { describe, expect, it } from 'vitest';
import { defaultFacetFields, orderFacetFields, selectivity } from './facets.js';

describe('facet fields', () => {
  it('leaves out the split, the year, identifiers by name and by their nearly unique values', () => {
    const fields = defaultFacetFields({
      fields: ['gender', 'split', 'year', 'productId', 'sku', 'image_url', 'articleType', 'code'],
      distinctValues: { gender: 5, split: 3, year: 14, productId: 900, sku: 900, image_url: 900, articleType: 140, code: 800 },
      products: 1000,
    });
    expect(fields).toEqual(['gender', 'articleType']);
  });

  it('keeps a field with many values when they are shared (140 article types over 44k products)', () => {
    expect(defaultFacetFields({ fields: ['articleType'], distinctValues: { articleType: 143 }, products: 44441 })).toEqual(['articleType']);
  });

  it('measures how much a field narrows (Gini impurity)', () => {
    expect(selectivity([{ value: 'Apparel', count: 10 }])).toBe(0);
    expect(selectivity([{ value: 'Men', count: 5 }, { value: 'Women', count: 5 }])).toBeCloseTo(0.5, 12);
    expect(selectivity([])).toBe(0);
  });

  it('orders the most selective fields first, ties by name', () => {
    const even = (n: number) => Array.from({ length: n }, (_, i) => ({ value: `v${i}`, count: 10 }));
    expect(orderFacetFields({ masterCategory: [{ value: 'Apparel', count: 95 }, { value: 'Footwear', count: 5 }], articleType: even(20), gender: even(2), season: even(2) })).toEqual([
      'articleType',
      'gender',
      'season',
      'masterCategory',
    ]);
  });
});
