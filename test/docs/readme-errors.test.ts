// The README's error table and the error catalogue (src/errors/codes.ts) list the same codes with the same
// statuses in the same order, so a code added to one and not the other fails here.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors/codes.js';

const README = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');

/** The text of one `## ` section of the README, without the next section. */
function section(heading: string): string {
  const start = README.indexOf(`\n## ${heading}\n`);
  expect(start, `README has no "## ${heading}" section`).toBeGreaterThanOrEqual(0);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

describe('README error list', () => {
  it('equals the catalogue: codes, HTTP statuses and order', () => {
    const rows = [...section('The HTTP API').matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
    const catalogue = Object.entries(ERROR_CODES).map(([code, e]) => [code, e.httpStatus]);
    expect(rows).toEqual(catalogue);
  });
});
