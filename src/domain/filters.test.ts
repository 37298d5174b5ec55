import { describe, expect, it } from 'vitest';
import { closestValues, countFacets, filterValueKey, matchesFilters, normalizeFilters, resolveFilterValues } from './filters.js';
import { l2Normalize, weightedMix, dot } from './vector-math.js';

describe('filters', () => {
  it('normalises single values and lists, dropping duplicates and empty lists', () => {
    const f = normalizeFilters({ colour: 'Red', size: ['S', 'M', 'S'], gender: [] }, ['colour', 'size', 'gender']);
    expect([...f.entries()]).toEqual([
      ['colour', ['Red']],
      ['size', ['S', 'M']],
    ]);
  });
  it('names unknown fields and lists the known ones', () => {
    expect(() => normalizeFilters({ fabric: 'silk' }, ['colour'])).toThrow(/unknown filter field fabric; known fields: colour/);
  });
  it('matches every field, any value', () => {
    const f = normalizeFilters({ colour: ['Red', 'Blue'], gender: 'Men' }, ['colour', 'gender']);
    expect(matchesFilters({ colour: 'Blue', gender: 'Men' }, f)).toBe(true);
    expect(matchesFilters({ colour: 'Blue', gender: 'Women' }, f)).toBe(false);
    expect(matchesFilters({ gender: 'Men' }, f)).toBe(false);
  });
  it('counts facets disjunctively, sorted by count then value', () => {
    const items = [
      { colour: 'Red', gender: 'Men' },
      { colour: 'Red', gender: 'Women' },
      { colour: 'Blue', gender: 'Men' },
      { colour: 'Azure', gender: 'Men' },
    ];
    const facets = countFacets(items, ['colour', 'gender'], normalizeFilters({ gender: 'Men' }, ['colour', 'gender']));
    expect(facets.colour).toEqual([
      { value: 'Azure', count: 1 },
      { value: 'Blue', count: 1 },
      { value: 'Red', count: 1 },
    ]);
    expect(facets.gender).toEqual([
      { value: 'Men', count: 3 },
      { value: 'Women', count: 1 },
    ]);
  });
});

describe('vector math', () => {
  it('normalises, leaves zero vectors at zero, and mixes with weights', () => {
    expect(Array.from(l2Normalize([3, 4]))).toEqual([0.6000000238418579, 0.800000011920929]);
    expect(Array.from(l2Normalize([0, 0]))).toEqual([0, 0]);
    const mixed = weightedMix([
      { vector: [1, 0], weight: 1 },
      { vector: [0, 1], weight: 1 },
    ]);
    expect(dot(mixed, [1, 0])).toBeCloseTo(Math.SQRT1_2, 6);
    expect(() => dot([1], [1, 2])).toThrow(RangeError);
  });
});

describe('forgiving filter values', () => {
  const known = new Map([
    ['gender', ['Men', 'Women', 'Boys', 'Girls', 'Unisex']],
    ['baseColour', ['Navy Blue', 'Blue', 'Red', 'NA']],
  ]);

  it('compares values trimmed, with runs of space as one, case-insensitively', () => {
    const { filters, unmatched } = resolveFilterValues(new Map([['gender', [' women ', 'MEN']], ['baseColour', ['navy   blue']]]), known);
    expect([...filters]).toEqual([
      ['gender', ['Women', 'Men']],
      ['baseColour', ['Navy Blue']],
    ]);
    expect(unmatched).toEqual([]);
    expect(filterValueKey('  Ｎavy\tBLUE ')).toBe('navy blue');
  });

  it('maps a value to every stored spelling of it', () => {
    const { filters } = resolveFilterValues(new Map([['colour', ['red']]]), new Map([['colour', ['Red', 'RED', 'Blue']]]));
    expect(filters.get('colour')).toEqual(['Red', 'RED']);
  });

  it('keeps a value that matches nothing (it still selects nothing) and names the closest known values', () => {
    const { filters, unmatched } = resolveFilterValues(new Map([['gender', ['womn', 'Men']]]), known);
    expect(filters.get('gender')).toEqual(['womn', 'Men']);
    expect(unmatched).toHaveLength(1);
    expect(unmatched[0]).toMatchObject({ field: 'gender', value: 'womn' });
    expect(unmatched[0].closest).toHaveLength(3);
    expect(unmatched[0].closest[0]).toBe('Women');
  });

  it('ranks a known value that starts with what was typed first', () => {
    expect(closestValues('wom', ['Men', 'Women', 'Boys'])[0]).toBe('Women');
    expect(closestValues('navy', ['Blue', 'Navy Blue', 'Red'])[0]).toBe('Navy Blue');
    expect(closestValues('', ['Men'])).toEqual([]);
  });
});
