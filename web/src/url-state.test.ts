import { describe, expect, it } from 'vitest';
import { countFilters, emptyState, MAX_PAGES, stateFromSearch, stateToSearch, toggleFilter } from './url-state.js';

describe('URL state', () => {
  it('round-trips text, mode, productId, filters and pages', () => {
    const state = { text: 'red dress & shoes', mode: 'keyword' as const, productId: '15970', filters: { gender: ['Women', 'Girls'], baseColour: ['Red'] }, pages: 3 };
    const search = stateToSearch(state);
    expect(search).toBe('?q=red+dress+%26+shoes&mode=keyword&productId=15970&f.baseColour=Red&f.gender=Girls&f.gender=Women&pages=3');
    expect(stateFromSearch(search)).toEqual({ ...state, filters: { baseColour: ['Red'], gender: ['Girls', 'Women'] } });
  });

  it('gives an empty query string for the empty state and reads it back', () => {
    expect(stateToSearch(emptyState())).toBe('');
    expect(stateFromSearch('')).toEqual(emptyState());
  });

  it('tolerates hand-edited links', () => {
    const state = stateFromSearch('?pages=abc&f.=x&f.gender=&f.gender=Men&f.gender=Men&productId=&mode=fuzzy');
    expect(state).toEqual({ text: '', mode: null, productId: null, filters: { gender: ['Men'] }, pages: 1 });
    expect(stateFromSearch('?pages=999').pages).toBe(MAX_PAGES);
    expect(stateFromSearch('?pages=-2').pages).toBe(1);
  });

  it('toggles filter values without touching the input and drops emptied fields', () => {
    const filters = { gender: ['Men'] };
    const added = toggleFilter(filters, 'gender', 'Women', true);
    expect(added).toEqual({ gender: ['Men', 'Women'] });
    expect(filters).toEqual({ gender: ['Men'] });
    expect(toggleFilter(added, 'gender', 'Men', false)).toEqual({ gender: ['Women'] });
    expect(toggleFilter(filters, 'gender', 'Men', false)).toEqual({});
    expect(countFilters(added)).toBe(2);
  });
});
