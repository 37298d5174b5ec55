// Progress in words, for output that is not a terminal (a log file, CI, a pipe): a live bar is useless there, and
// silence for minutes looks like a hang. One line every few seconds says how far, how fast and how long to go.
// Pure: the caller passes the clock in.
//
// Example:
//   progressLine('indexing', { done: 12000, total: 44441, elapsedMs: 40000 });
//   // 'indexing: 12,000/44,441 (27%) · 300/s · ETA 1m 48s'

export interface ProgressSnapshot {
  done: number;
  /** 0 or less when unknown. */
  total: number;
  elapsedMs: number;
}

const numbers = new Intl.NumberFormat('en');

/** "45s", "3m 05s", "1h 02m"; "?" when it cannot be known yet. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function formatRate(perSecond: number): string {
  if (perSecond >= 100) return numbers.format(Math.round(perSecond));
  return perSecond.toFixed(1);
}

/** done/total, share, rate per second since the start and the time left at that rate. */
export function progressLine(label: string, snapshot: ProgressSnapshot): string {
  const seconds = snapshot.elapsedMs / 1000;
  const rate = seconds > 0 ? snapshot.done / seconds : 0;
  const parts = [
    snapshot.total > 0
      ? `${numbers.format(snapshot.done)}/${numbers.format(snapshot.total)} (${Math.floor((snapshot.done / snapshot.total) * 100)}%)`
      : numbers.format(snapshot.done),
    `${formatRate(rate)}/s`,
  ];
  if (snapshot.total > 0) parts.push(`ETA ${rate > 0 ? formatDuration((snapshot.total - snapshot.done) / rate) : '?'}`);
  return `${label}: ${parts.join(' · ')}`;
}

/**
 * Decides when a plain progress line is due: the first update, then at most one per `everyMs`, and always the
 * last (done = total), so a log shows the start, a steady beat and the end.
 */
export class ProgressPacer {
  private lastAt = -Infinity;
  private lastDone = -1;

  constructor(private readonly everyMs: number) {}

  due(done: number, total: number, nowMs: number): boolean {
    const finished = total > 0 && done >= total;
    if (done === this.lastDone) return false;
    if (!finished && nowMs - this.lastAt < this.everyMs) return false;
    this.lastAt = nowMs;
    this.lastDone = done;
    return true;
  }
}
