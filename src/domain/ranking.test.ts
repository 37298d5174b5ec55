import { describe, expect, it } from 'vitest';
import { byScoreThenId, rankPage, rankScored } from './ranking.js';

const items = [
  { id: 'b', score: 0.5 },
  { id: 'd', score: 0.1 },
  { id: 'a', score: 0.5 },
  { id: 'c', score: 0.9 },
  { id: 'e', score: -0.2 },
];

describe('ranking', () => {
  it('orders by score descending, ties by id ascending, without touching the input', () => {
    const copy = [...items];
    expect(rankScored(items).map((i) => i.id)).toEqual(['c', 'a', 'b', 'd', 'e']);
    expect(items).toEqual(copy);
    expect(byScoreThenId({ id: 'x', score: 1 }, { id: 'x', score: 1 })).toBe(0);
  });

  it('pages with offset and k, and pages do not overlap', () => {
    expect(rankPage(items, { k: 2 }).map((i) => i.id)).toEqual(['c', 'a']);
    expect(rankPage(items, { k: 2, offset: 2 }).map((i) => i.id)).toEqual(['b', 'd']);
    expect(rankPage(items, { k: 10, offset: 4 }).map((i) => i.id)).toEqual(['e']);
    expect(rankPage(items, { k: 3, offset: 9 })).toEqual([]);
  });

  it('drops what scores below minScore, the same before or after paging', () => {
    expect(rankPage(items, { k: 10, minScore: 0.5 }).map((i) => i.id)).toEqual(['c', 'a', 'b']);
    expect(rankPage(items, { k: 2, offset: 2, minScore: 0.5 }).map((i) => i.id)).toEqual(['b']);
    expect(rankPage(items, { k: 10, minScore: -1 })).toHaveLength(5);
  });
});
