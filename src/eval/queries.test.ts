import { describe, expect, it } from 'vitest';
import type { Product } from '../domain/types.js';
import { AppError } from '../errors/app-error.js';
import { applyPrompt, imageQueriesFromField, inSplit, parseDocSpec, parseQrels, textQueriesFromField } from './queries.js';

const product = (id: string, title: string, attributes: Record<string, string>): Product => ({ id, title, attributes, imageRef: `/img/${id}.png` });

const products = [
  product('1', 'Red Shirt', { baseColour: 'Red', split: 'test' }),
  product('2', 'Red Shirt', { baseColour: 'Red', split: 'train' }),
  product('3', 'Blue Shirt', { baseColour: 'Blue', split: 'test' }),
  product('4', 'Blue Jeans', { baseColour: 'Blue', split: 'train' }),
  product('5', 'Plain Cap', { split: 'test' }),
];

describe('parseQrels', () => {
  it('reads the BEIR form, keeps positive grades and counts ids missing from the gallery', () => {
    const { queries, unknownIds } = parseQrels({ 'red shirt': { '1': 1, '2': 0, '9': 2 }, 'cap': {} }, new Set(['1', '2']));
    expect(queries).toEqual([
      { id: 'red shirt', text: 'red shirt', relevant: new Set(['1', '9']) },
      { id: 'cap', text: 'cap', relevant: new Set() },
    ]);
    expect(unknownIds).toBe(1);
  });

  it('rejects malformed documents with an AppError', () => {
    expect(() => parseQrels([], new Set())).toThrow(AppError);
    expect(() => parseQrels({ q: ['1'] }, new Set())).toThrow(AppError);
    expect(() => parseQrels({ q: { '1': 'yes' } }, new Set())).toThrow(AppError);
  });
});

describe('queries from the catalog', () => {
  it('one query per distinct title of the split; every gallery product with that title is relevant', () => {
    const queries = textQueriesFromField({ queryProducts: inSplit(products, 'test'), gallery: products, field: 'title' });
    expect(queries.map((q) => [q.text, [...q.relevant]])).toEqual([
      ['Blue Shirt', ['3']],
      ['Plain Cap', ['5']],
      ['Red Shirt', ['1', '2']],
    ]);
  });

  it('a gallery split narrows the relevant set', () => {
    const queries = textQueriesFromField({ queryProducts: inSplit(products, 'test'), gallery: inSplit(products, 'train'), field: 'title' });
    expect(queries.find((q) => q.id === 'Red Shirt')?.relevant).toEqual(new Set(['2']));
    expect(queries.find((q) => q.id === 'Plain Cap')?.relevant).toEqual(new Set());
  });

  it('attribute queries go through the prompt and skip empty values', () => {
    const queries = textQueriesFromField({ queryProducts: products, gallery: products, field: 'baseColour', prompt: 'a photo of {} clothes' });
    expect(queries.map((q) => [q.id, q.text, [...q.relevant]])).toEqual([
      ['Blue', 'a photo of Blue clothes', ['3', '4']],
      ['Red', 'a photo of Red clothes', ['1', '2']],
    ]);
  });

  it('image queries exclude the query product from its relevant set', () => {
    const queries = imageQueriesFromField({ queryProducts: inSplit(products, 'test'), gallery: products, field: 'baseColour' });
    expect(queries.map((q) => [q.productId, [...q.relevant]])).toEqual([
      ['1', ['2']],
      ['3', ['4']],
    ]);
  });
});

describe('small parsers', () => {
  it('applyPrompt', () => {
    expect(applyPrompt(undefined, 'Red')).toBe('Red');
    expect(applyPrompt('a photo of a {}', 'Red')).toBe('a photo of a Red');
    expect(applyPrompt('colour', 'Red')).toBe('colour Red');
  });

  it('parseDocSpec normalises weights', () => {
    expect(parseDocSpec('image')).toEqual({ image: 1, text: 0 });
    expect(parseDocSpec('image:0.9,text:0.1')).toEqual({ image: 0.9, text: 0.1 });
    expect(parseDocSpec('image:3, text:1')).toEqual({ image: 0.75, text: 0.25 });
    expect(() => parseDocSpec('audio')).toThrow(AppError);
    expect(() => parseDocSpec('image:0')).toThrow(AppError);
  });
});
