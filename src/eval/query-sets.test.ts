import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Product } from '../domain/types.js';
import { seededRandom } from '../domain/seeded-random.js';
import { brandOf, brandQueries, hashSeed, parseBrandList, typoEdit, typoQueries } from './query-sets.js';

const product = (id: string, title: string, attributes: Record<string, string>): Product => ({ id, title, attributes, imageRef: `/img/${id}.png` });

describe('brand list', () => {
  it('parses one brand per line, skipping comments, blanks and repeats (case-insensitive)', () => {
    expect(parseBrandList('# header\nNike\n\n  Red   Tape \nnike\r\nLee\n')).toEqual(['Nike', 'Red Tape', 'Lee']);
  });

  it('matches the longest listed brand at the start of a title, on whole words', () => {
    const brands = ['Lee', 'Lee Cooper', 'Jockey', 'W'];
    expect(brandOf('Lee Cooper Men Black Shoes', brands)).toBe('Lee Cooper');
    expect(brandOf('LEE Men Blue Jeans', brands)).toBe('Lee');
    expect(brandOf('Jockey ZONE Men Briefs', brands)).toBe('Jockey');
    expect(brandOf('Leecooper Men Shoes', brands)).toBeUndefined();
    expect(brandOf('W Women Pink Kurta', brands)).toBe('W');
    expect(brandOf('Women Pink Kurta', brands)).toBeUndefined();
    expect(brandOf('', brands)).toBeUndefined();
  });

  it('the committed list is reviewed: no product lines, every brand found in some title form', () => {
    const brands = parseBrandList(readFileSync(path.resolve(import.meta.dirname, '../../data/brands.txt'), 'utf8'));
    expect(brands.length).toBeGreaterThan(200);
    expect(brands).toContain('Nike');
    expect(brands).toContain('United Colors of Benetton');
    expect(brands).not.toContain('Jockey ZONE');
    expect(brandOf('Jockey ZONE Men Black Briefs', brands)).toBe('Jockey');
    expect(brandOf('ADIDAS Originals Men Black Shoes', brands)).toBe('ADIDAS');
  });
});

describe('brandQueries', () => {
  const brands = ['Nike', 'Red Tape'];
  const products = [
    product('1', 'Nike Men Black Tshirt', { articleType: 'Tshirts', split: 'val' }),
    product('2', 'Nike Men White Tshirt', { articleType: 'Tshirts', split: 'train' }),
    product('3', 'Red Tape Men Brown Shoes', { articleType: 'Casual Shoes', split: 'val' }),
    product('4', 'Red Tape Men Black Shoes', { articleType: 'Formal Shoes', split: 'train' }),
    product('5', 'Nike Men Running Shoes', { articleType: 'Sports Shoes', split: 'train' }),
    product('6', 'Plain Men Grey Tshirt', { articleType: 'Tshirts', split: 'val' }),
  ];
  it('one query per (brand, articleType) of the query products; relevant = gallery products with both', () => {
    const queries = brandQueries({ queryProducts: products.filter((p) => p.attributes.split === 'val'), gallery: products, brands });
    expect(queries.map((q) => [q.text, [...q.relevant].sort()])).toEqual([
      ['Nike Tshirts', ['1', '2']],
      ['Red Tape Casual Shoes', ['3']],
    ]);
  });
  it('does not depend on product order', () => {
    const a = brandQueries({ queryProducts: products, gallery: products, brands });
    const b = brandQueries({ queryProducts: [...products].reverse(), gallery: [...products].reverse(), brands });
    expect(b).toEqual(a);
  });
});

describe('typos', () => {
  it('seededRandom is deterministic, in [0, 1) and seed-dependent', () => {
    const a = Array.from({ length: 5 }, seededRandom(7));
    expect(Array.from({ length: 5 }, seededRandom(7))).toEqual(a);
    expect(Array.from({ length: 5 }, seededRandom(8))).not.toEqual(a);
    for (const v of Array.from({ length: 1000 }, seededRandom(1))) expect(v >= 0 && v < 1).toBe(true);
    expect(hashSeed(0, 'Red')).not.toBe(hashSeed(1, 'Red'));
  });

  it('typoEdit makes exactly one Damerau edit at a letter, and always a change', () => {
    const random = seededRandom(3);
    const kinds = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const text = 'Navy Blue Shirts';
      const edit = typoEdit(text, random);
      expect(edit.text).not.toBe(text);
      kinds.add(edit.kind as string);
      expect(damerau(edit.text, text)).toBe(1);
    }
    expect([...kinds].sort()).toEqual(['delete', 'insert', 'substitute', 'transpose']);
    expect(typoEdit('123 - 45', random)).toEqual({ text: '123 - 45' });
  });

  it('typoQueries keeps the relevant sets, depends only on seed and query id, and drops queries without letters', () => {
    const queries = [
      { id: 'Red', text: 'Red', relevant: new Set(['1']) },
      { id: 'Navy Blue', text: 'Navy Blue', relevant: new Set(['2', '3']) },
      { id: '42', text: '42', relevant: new Set(['4']) },
    ];
    const typos = typoQueries(queries, { seed: 5 });
    expect(typos).toHaveLength(2);
    expect(typos[1].relevant).toEqual(new Set(['2', '3']));
    expect(typos[1].text).not.toBe('Navy Blue');
    expect(typoQueries([queries[1]], { seed: 5 })).toEqual([typos[1]]);
    expect(typoQueries(queries, { seed: 6 }).map((q) => q.text)).not.toEqual(typos.map((q) => q.text));
  });
});

/** Optimal-string-alignment distance, the yardstick for "one edit". */
function damerau(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
