import { describe, expect, it } from 'vitest';
import { checkJsonDepth, jsonDepth } from './json-body.js';

describe('jsonDepth', () => {
  it('counts arrays and objects, not brackets inside strings', () => {
    expect(jsonDepth('1')).toBe(0);
    expect(jsonDepth('{"a":[1,{"b":2}]}')).toBe(3);
    expect(jsonDepth('{"a":"[[[[{{{{"}')).toBe(1);
    expect(jsonDepth('{"a":"quote \\" then [[["}')).toBe(1);
    expect(jsonDepth('[[],[[]],[]]')).toBe(3);
  });
  it('stops early past the limit, so a huge body costs no more than its first brackets', () => {
    expect(jsonDepth('['.repeat(1_000_000), 10)).toBe(11);
    expect(() => checkJsonDepth('['.repeat(100), 32)).toThrow(/deeper than 32/);
    expect(() => checkJsonDepth('{"text":"x","filters":{"a":["b"]}}', 3)).not.toThrow();
  });
});
