import { describe, expect, it } from 'vitest';
import { EncodeQueue } from './encode-queue.js';

/** Work that finishes when told to. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('EncodeQueue', () => {
  it('runs `concurrency` at once, lets `queue` wait, refuses the rest with OVERLOADED at once', async () => {
    const queue = new EncodeQueue({ concurrency: 2, queue: 1 });
    const gates = [gate(), gate(), gate()];
    const order: number[] = [];
    const runs = gates.map((g, i) => queue.run(async () => {
      order.push(i);
      await g.promise;
      return i;
    }));
    await Promise.resolve();
    expect(queue.load).toEqual({ running: 2, waiting: 1 });
    await expect(queue.run(async () => 'late')).rejects.toMatchObject({ code: 'OVERLOADED', httpStatus: 503 });
    gates[0].open();
    expect(await runs[0]).toBe(0);
    await new Promise((r) => setTimeout(r, 0));
    expect(order).toEqual([0, 1, 2]);
    gates[1].open();
    gates[2].open();
    expect(await Promise.all(runs)).toEqual([0, 1, 2]);
    expect(queue.load).toEqual({ running: 0, waiting: 0 });
  });

  it('frees its turn when the work fails', async () => {
    const queue = new EncodeQueue({ concurrency: 1, queue: 0 });
    await expect(queue.run(async () => Promise.reject(new Error('bad image')))).rejects.toThrow('bad image');
    expect(await queue.run(async () => 'next')).toBe('next');
  });
});
