import { describe, expect, it } from 'vitest';
import { fuseRankings } from './fusion.js';

const list = (...ids: string[]) => ids.map((id, i) => ({ id, score: 1 - i / 10 }));

describe('fuseRankings (weighted reciprocal rank fusion)', () => {
  it('sums weight / (k + rank) over the lists that hold a product', () => {
    const fused = fuseRankings({ vector: list('a', 'b'), keyword: list('b') }, { rankConstant: 60, vectorWeight: 1, keywordWeight: 2 });
    expect(fused.map((f) => f.id)).toEqual(['b', 'a']);
    expect(fused[0].score).toBeCloseTo(1 / 62 + 2 / 61, 12);
    expect(fused[1].score).toBeCloseTo(1 / 61, 12);
  });

  it('reads ranks, never the raw scores of either list', () => {
    const a = fuseRankings({ vector: list('x', 'y'), keyword: list('y', 'z') }, { rankConstant: 10, vectorWeight: 1, keywordWeight: 1 });
    const b = fuseRankings(
      { vector: [{ id: 'x', score: 0.2 }, { id: 'y', score: 0.19 }], keyword: [{ id: 'y', score: 900 }, { id: 'z', score: 3 }] },
      { rankConstant: 10, vectorWeight: 1, keywordWeight: 1 },
    );
    expect(b).toEqual(a);
  });

  it('lets a heavier keyword list put its matches first (a brand query)', () => {
    const fused = fuseRankings({ vector: list('puma-socks', 'quechua-bag', 'nike-jacket'), keyword: list('nike-jacket', 'nike-shoe') }, { rankConstant: 5, vectorWeight: 1, keywordWeight: 3 });
    expect(fused.slice(0, 2).map((f) => f.id)).toEqual(['nike-jacket', 'nike-shoe']);
  });

  it('breaks ties by id and keeps products of a zero-weight list, last', () => {
    const fused = fuseRankings({ vector: list('b'), keyword: list('a', 'c') }, { rankConstant: 60, vectorWeight: 0, keywordWeight: 1 });
    expect(fused.map((f) => f.id)).toEqual(['a', 'c', 'b']);
    expect(fused[2].score).toBe(0);
    const tied = fuseRankings({ vector: list('b'), keyword: list('a') }, { rankConstant: 60, vectorWeight: 1, keywordWeight: 1 });
    expect(tied.map((f) => f.id)).toEqual(['a', 'b']);
  });

  it('refuses negative or missing parameters', () => {
    expect(() => fuseRankings({ vector: [], keyword: [] }, { rankConstant: -1, vectorWeight: 1, keywordWeight: 1 })).toThrow(RangeError);
    expect(() => fuseRankings({ vector: [], keyword: [] }, { rankConstant: 60, vectorWeight: Number.NaN, keywordWeight: 1 })).toThrow(RangeError);
  });
});
