import { describe, expect, it } from 'vitest';
import { countsText, isUnspecified, unmatchedText, valueLabel } from './wording.js';

describe('page wording', () => {
  it('calls keyword and hybrid results matches, of the matches there are', () => {
    expect(countsText({ kind: 'text', mode: 'hybrid', shown: 24, total: 1240, filtered: false })).toBe('24 of 1,240 matches');
    expect(countsText({ kind: 'text', mode: 'keyword', shown: 1, total: 1, filtered: true })).toBe('1 of 1 match');
  });

  it('says a search by look ranks every product, closest first', () => {
    expect(countsText({ kind: 'text', mode: 'vector', shown: 24, total: 44441, filtered: false })).toBe('24 of 44,441 products, closest to your words first');
    expect(countsText({ kind: 'photo', mode: 'vector', shown: 24, total: 44441, filtered: false })).toBe('24 closest to your photo, of 44,441 products');
  });

  it('words "more like this" on its own', () => {
    expect(countsText({ kind: 'like', mode: 'vector', shown: 24, total: 44440, filtered: false })).toBe('24 most similar of 44,440 other products');
  });

  it('says when nothing matches, and whether the filters are why', () => {
    expect(countsText({ kind: 'text', mode: 'hybrid', shown: 0, total: 0, filtered: false })).toBe('No matches');
    expect(countsText({ kind: 'text', mode: 'vector', shown: 0, total: 0, filtered: true })).toBe('No products match the filters');
  });

  it('shows the catalog placeholders as "Not specified"', () => {
    for (const v of ['NA', 'n/a', '', ' ', '-', 'None']) expect(valueLabel(v)).toBe('Not specified');
    expect(valueLabel('Navy Blue')).toBe('Navy Blue');
    expect(isUnspecified('Nano')).toBe(false);
  });

  it('names a filter value that matches nothing with the closest ones', () => {
    expect(unmatchedText('Gender', 'womn', ['Women', 'Men'])).toBe('No product has Gender “womn”. Closest: Women, Men.');
    expect(unmatchedText('Colour', 'x', [])).toBe('No product has Colour “x”.');
  });
});
