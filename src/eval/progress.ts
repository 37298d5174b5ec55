// Progress for long eval stages: a live bar (cli-progress) when stderr is a terminal, plain lines otherwise, so
// logs of CI runs and piped output stay readable.
import cliProgress from 'cli-progress';
import { progressLine, ProgressPacer } from '../domain/progress.js';

export interface ProgressTask {
  /** Sets the number of finished units (absolute, not a delta). */
  update(done: number): void;
  stop(): void;
}

export interface ProgressReporter {
  start(label: string, total: number): ProgressTask;
  /** A line of information (e.g. "reusing saved gallery index"). */
  log(line: string): void;
}

export const silentProgress: ProgressReporter = {
  start: () => ({ update: () => {}, stop: () => {} }),
  log: () => {},
};

export interface ConsoleProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Force plain lines (true) or bars (false); by default bars only on a TTY. */
  plain?: boolean;
  /** Seconds between plain lines (default 5). */
  everySeconds?: number;
  now?: () => number;
}

/** Progress on stderr: a bar on a terminal, otherwise a line with done/total, rate and ETA every few seconds. */
export function consoleProgress(options: ConsoleProgressOptions = {}): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  const plain = options.plain ?? !stream.isTTY;
  return {
    log: (line) => stream.write(`${line}\n`),
    start(label, total) {
      if (!plain && total > 0) {
        const bar = new cliProgress.SingleBar(
          { stream, format: `${label} [{bar}] {percentage}% | {value}/{total} | {duration_formatted} (ETA {eta_formatted})`, hideCursor: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, 0);
        return { update: (done) => bar.update(done), stop: () => bar.stop() };
      }
      const now = options.now ?? Date.now;
      const started = now();
      const pacer = new ProgressPacer((options.everySeconds ?? 5) * 1000);
      stream.write(`${progressLine(label, { done: 0, total, elapsedMs: 0 })}\n`);
      return {
        update(done) {
          if (pacer.due(done, total, now())) stream.write(`${progressLine(label, { done, total, elapsedMs: now() - started })}\n`);
        },
        stop() {
          stream.write(`${label}: done in ${((now() - started) / 1000).toFixed(1)} s\n`);
        },
      };
    },
  };
}
