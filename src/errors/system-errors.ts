// Failures of the machine rather than of the request, worded for people: a full disk (Node's ENOSPC, the Rust
// "No space left on device (os error 28)" of an embedded store, a quota) becomes STORAGE_FULL, and messages from
// native libraries lose the build machine's source locations (`/usr/local/cargo/registry/.../local.rs:133:40`),
// which help no operator and must never reach a client.
import { AppError, errorMessage } from './app-error.js';

const DISK_FULL = /ENOSPC|No space left on device|os error 28|EDQUOT|Disk quota exceeded|os error 122/i;

/** Whether `e` (or one of its causes) says the disk or quota is full. */
export function isDiskFull(e: unknown): boolean {
  for (let cause = e, depth = 0; cause && depth < 5; cause = (cause as { cause?: unknown }).cause, depth++) {
    const { code, message } = cause as { code?: unknown; message?: unknown };
    if (code === 'ENOSPC' || code === 'EDQUOT') return true;
    if (typeof message === 'string' && DISK_FULL.test(message)) return true;
  }
  return false;
}

/** A native library's message without source locations (`, /path/to/file.rs:12:34`), backtraces and its chain of causes. */
export function cleanNativeMessage(message: string): string {
  return message
    .split('\n')[0]
    .split(/\s+Caused by:/)[0]
    .replace(/,?\s*\S*\.rs:\d+(?::\d+)?/g, '')
    .replace(/\s+$/, '');
}

/** STORAGE_FULL naming where the space ran out, or null when `e` is no full disk. */
export function diskFullError(e: unknown, where: string): AppError | null {
  if (!isDiskFull(e)) return null;
  return new AppError('STORAGE_FULL', `the disk holding ${where} is full (${cleanNativeMessage(errorMessage(e))}): free some space and run again; what was written before is kept and usable`, {
    cause: e,
  });
}
