import { describe, expect, it } from 'vitest';
import { KeywordIndex, type KeywordDocument } from './keyword-index.js';

const DOCS: KeywordDocument[] = [
  { id: '1', title: 'Nike Men Blue Running Shoes', attributes: { gender: 'Men', articleType: 'Sports Shoes', baseColour: 'Blue' } },
  { id: '2', title: 'Puma Men Black Socks', attributes: { gender: 'Men', articleType: 'Socks', baseColour: 'Black' } },
  { id: '3', title: 'Mike Women Red Dress', attributes: { gender: 'Women', articleType: 'Dresses', baseColour: 'Red' } },
  { id: '4', title: 'Nike Women Red T-Shirt', attributes: { gender: 'Women', articleType: 'Tshirts', baseColour: 'Red' } },
  { id: '5', title: 'Quechua Unisex Backpack', attributes: { gender: 'Unisex', articleType: 'Backpacks', baseColour: 'Green', split: 'test' } },
];
const FIELDS = ['gender', 'articleType', 'baseColour'];
const ids = (index: KeywordIndex, text: string, accept?: (id: string) => boolean) => index.search({ text, accept }).map((m) => m.id);

describe('KeywordIndex', () => {
  const index = KeywordIndex.build(DOCS, FIELDS);

  it('finds a brand by its name, and only that brand: a catalog word is no typo of another', () => {
    expect(ids(index, 'Nike').sort()).toEqual(['1', '4']);
    expect(ids(index, 'nike').sort()).toEqual(['1', '4']);
  });

  it('forgives typos in a word the catalog does not hold, and reads word starts, ranking them below exact words', () => {
    expect(ids(index, 'nkie').sort()).toEqual(['1', '4']);
    // "dres" starts "dress" and is two edits from "red": the dress first
    expect(ids(index, 'dres')[0]).toBe('3');
    expect(ids(index, 'dress')).toEqual(['3']);
    expect(ids(index, 'backpak')).toEqual(['5']);
    // three letters must be exact: "rad" is not "red"
    expect(ids(index, 'rad')).toEqual([]);
  });

  it('matches every word when some product has them all, else any of them, ranked by BM25', () => {
    expect(ids(index, 'red nike')).toEqual(['4']);
    const any = index.search({ text: 'nike dress' });
    expect(any.map((m) => m.id).sort()).toEqual(['1', '3', '4']);
    expect(any[0].score).toBeGreaterThan(0);
    expect(any.every((m, i) => i === 0 || any[i - 1].score >= m.score)).toBe(true);
  });

  it('searches the attribute values given, not others, and skips words with no product meaning', () => {
    expect(ids(index, 'tshirts')).toEqual(['4']);
    expect(ids(index, 'socks for men')).toEqual(['2']);
    expect(ids(index, 'test')).toEqual([]);
    expect(ids(index, 'for the')).toEqual([]);
  });

  it('keeps only what the caller accepts', () => {
    expect(ids(index, 'nike', (id) => id !== '1')).toEqual(['4']);
  });

  it('takes writes: replaced and removed products', () => {
    const live = KeywordIndex.build(DOCS, FIELDS);
    live.upsert([{ id: '2', title: 'Adidas Men Black Socks', attributes: { articleType: 'Socks' } }]);
    live.remove(['1', 'missing']);
    expect(ids(live, 'puma')).toEqual([]);
    expect(ids(live, 'adidas')).toEqual(['2']);
    expect(ids(live, 'nike')).toEqual(['4']);
    expect(live.size).toBe(4);
  });
});
