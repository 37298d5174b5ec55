import { describe, expect, it } from 'vitest';
import { progressOutput } from './progress.js';

function capture() {
  const lines: string[] = [];
  return { lines, stream: { isTTY: false, write: (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)) } as never };
}

describe('progressOutput in a log (not a terminal)', () => {
  it('writes the start, a line with done/total, rate and ETA every few seconds, and the end', () => {
    let clock = 0;
    const { lines, stream } = capture();
    const progress = progressOutput('indexing', { stream, now: () => clock, everySeconds: 5 });
    progress.start(1000);
    for (let done = 10; done <= 1000; done += 10) {
      clock += 200; // 50 items a second
      progress.update(done, `ok ${done}`);
    }
    progress.stop();
    expect(lines[0]).toBe('indexing: 0/1,000 (0%) · 0.0/s · ETA ?');
    expect(lines[1]).toBe('indexing: 10/1,000 (1%) · 50.0/s · ETA 20s · ok 10');
    expect(lines[2]).toBe('indexing: 260/1,000 (26%) · 50.0/s · ETA 15s · ok 260');
    expect(lines.at(-1)).toBe('indexing: 1,000/1,000 (100%) · 50.0/s · ETA 0s · ok 1000');
    // 20 s of work at one line per 5 s: start, first, four beats, no duplicate of the last
    expect(lines).toHaveLength(6);
  });

  it('ends on the final count even when the pacer held it back', () => {
    let clock = 0;
    const { lines, stream } = capture();
    const progress = progressOutput('migrate', { stream, now: () => clock });
    progress.start(0);
    progress.update(500, '500 copied');
    clock = 1000;
    progress.update(700, '700 copied');
    progress.stop();
    expect(lines).toEqual(['migrate: 0 · 0.0/s', 'migrate: 500 · 0.0/s · 500 copied', 'migrate: 700 · 700/s · 700 copied']);
  });
});
