// Progress of long commands (index, migrate) on stderr: a live bar on a terminal; elsewhere (a log, CI, a pipe,
// where a bar is noise and silence looks like a hang) one line every few seconds with done/total, rate and ETA
// (domain/progress.ts), plus the first and the last.
//
// Example:
//   const progress = progressOutput('indexing');
//   progress.start(44441);
//   progress.update(12000, 'ok 11990, skipped 0, failed 10'); // "indexing: 12,000/44,441 (27%) · 300/s · ETA 1m 48s · ok 11990, ..."
//   progress.stop();
import cliProgress from 'cli-progress';
import { progressLine, ProgressPacer } from '../domain/progress.js';

export interface ProgressOutput {
  start(total: number): void;
  /** `done` so far (absolute), with an optional detail for the end of the line. */
  update(done: number, detail?: string): void;
  stop(): void;
}

export interface ProgressOutputOptions {
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Force plain lines (true) or a bar (false); by default a bar only on a terminal. */
  plain?: boolean;
  /** Seconds between plain lines (default 5). */
  everySeconds?: number;
  /** The clock (tests). */
  now?: () => number;
}

export function progressOutput(label: string, options: ProgressOutputOptions = {}): ProgressOutput {
  const stream = options.stream ?? process.stderr;
  const plain = options.plain ?? stream.isTTY !== true;
  const now = options.now ?? Date.now;
  if (!plain) {
    const bar = new cliProgress.SingleBar(
      { stream: stream as NodeJS.WriteStream, format: `${label} [{bar}] {percentage}% | {value}/{total} | {rate}/s | ETA {eta_formatted} {detail}`, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let started = now();
    return {
      start(total) {
        started = now();
        bar.start(total, 0, { rate: '0', detail: '' });
      },
      update(done, detail = '') {
        bar.update(done, { rate: (done / Math.max(0.001, (now() - started) / 1000)).toFixed(1), detail });
      },
      stop: () => bar.stop(),
    };
  }
  const pacer = new ProgressPacer((options.everySeconds ?? 5) * 1000);
  let started = now();
  let total = 0;
  let last: { done: number; detail?: string } | null = null;
  const write = (done: number, detail?: string) => {
    const line = progressLine(label, { done, total, elapsedMs: now() - started });
    stream.write(`${detail ? `${line} · ${detail}` : line}\n`);
  };
  return {
    start(count) {
      started = now();
      total = count;
      write(0);
    },
    update(done, detail) {
      last = { done, detail };
      if (pacer.due(done, total, now())) write(done, detail);
    },
    stop() {
      // The last state, if the pacer held it back, so a log always ends on the final count.
      if (last && pacer.due(last.done, 0, Number.POSITIVE_INFINITY)) write(last.done, last.detail);
    },
  };
}
