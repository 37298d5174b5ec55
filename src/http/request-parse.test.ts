import { describe, expect, it } from 'vitest';
import { searchRequestSchema } from '../api/search.schema.js';
import { SeedTextQuerySchema } from '../api/seed.schema.js';
import { parseFields } from './request-parse.js';

const schema = searchRequestSchema({ defaultK: 8, maxK: 100, maxOffset: 10_000, maxQueryChars: 1000, maxUploadBytes: 1, maxFilterValues: 1000, defaultMode: 'vector', imageFormats: ['JPEG'], imageTypes: ['image/jpeg'] });

function failure(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error('expected a failure');
}

describe('parseFields', () => {
  it('turns form text into the declared numbers, booleans and filters', () => {
    expect(parseFields(schema, { text: 'red', k: '5', offset: ' 10 ', minScore: '0.25', facets: 'yes', filters: '{"gender":["Men"]}' })).toEqual({
      text: 'red',
      k: 5,
      offset: 10,
      minScore: 0.25,
      facets: true,
      filters: { gender: ['Men'] },
    });
    expect(parseFields(schema, { facets: 'off' }).facets).toBe(false);
  });

  it('treats empty fields and nulls as not given, and drops unknown fields', () => {
    expect(parseFields(schema, { text: 'red', k: '', offset: null, filters: '', other: 'x' })).toEqual({ text: 'red' });
  });

  it('leaves values to the search service: a type error is the edge, a range is not', () => {
    expect(parseFields(schema, { k: 1000, offset: -3, minScore: 7 })).toEqual({ k: 1000, offset: -3, minScore: 7 });
  });

  it.each([
    [{ k: 'many' }, 'k must be a number'],
    [{ offset: '1e999' }, 'offset must be a number'],
    [{ text: 42 }, 'text must be a string'],
    [{ filters: 'red' }, 'filters must be a JSON object of field -> value or [values]'],
    [{ filters: '[1]' }, 'filters must be a JSON object of field -> value or [values]'],
    [{ filters: { gender: { nested: true } } }, 'filter gender: values must be strings'],
  ])('rejects %j as BAD_REQUEST: %s', (raw, message) => {
    expect(failure(() => parseFields(schema, raw))).toMatchObject({ code: 'BAD_REQUEST', message });
  });

  it('answers with the given code, for routes whose missing field has its own', () => {
    expect(failure(() => parseFields(SeedTextQuerySchema, { text_query: '  ' }, { code: 'EMPTY_QUERY' }))).toMatchObject({ code: 'EMPTY_QUERY', message: 'text_query is required' });
    expect(parseFields(SeedTextQuerySchema, { text_query: 'blue jeans' })).toEqual({ text_query: 'blue jeans' });
  });
});
