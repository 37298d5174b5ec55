import { describe, expect, it } from 'vitest';
import { cleanNativeMessage, diskFullError, isDiskFull } from './system-errors.js';

describe('system errors', () => {
  it('drops the source locations of native libraries', () => {
    const rust = 'lance error: Not found: /srv/data/products.lance/data/1.lance, /usr/local/cargo/registry/src/index.crates.io-1949cf8c6b5b557f/lance-io-8.0.0/src/local.rs:133:40';
    expect(cleanNativeMessage(rust)).toBe('lance error: Not found: /srv/data/products.lance/data/1.lance');
    expect(cleanNativeMessage('lance error: LanceError(IO): No space left on device (os error 28)  Caused by: LanceError(IO): No space left')).toBe(
      'lance error: LanceError(IO): No space left on device (os error 28)',
    );
    expect(cleanNativeMessage('IO error: No space left on device (os error 28), /root/.cargo/registry/src/x/object_store-0.12.3/src/local.rs:369:17\nbacktrace')).toBe(
      'IO error: No space left on device (os error 28)',
    );
  });
  it('knows a full disk in Node and in Rust words, through causes', () => {
    expect(isDiskFull(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }))).toBe(true);
    expect(isDiskFull(new Error('lance error: IO: No space left on device (os error 28)'))).toBe(true);
    expect(isDiskFull(new Error('wrapped', { cause: { code: 'ENOSPC' } }))).toBe(true);
    expect(isDiskFull(new Error('Not found'))).toBe(false);
    expect(diskFullError(new Error('No space left on device (os error 28), /x/y.rs:1:2'), '/data')).toMatchObject({
      code: 'STORAGE_FULL',
      message: expect.not.stringMatching(/\.rs:/),
    });
  });
});
