import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchImageUrl, isPublicAddress } from './safe-fetch.js';

describe('fetchImageUrl', () => {
  let server: http.Server;
  let base = '';
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/photo.jpg') return res.end(Buffer.from([0xff, 0xd8, 0xff, 1, 2, 3]));
      if (req.url === '/big') return res.end(Buffer.alloc(5000));
      if (req.url === '/to-metadata') return res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      if (req.url === '/to-photo') return res.writeHead(302, { location: '/photo.jpg' }).end();
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const limits = { maxBytes: 1000, timeoutMs: 5000 };

  it('tells public addresses from private, loopback, link-local and the rest', () => {
    expect(['8.8.8.8', '2001:4860::8888'].map(isPublicAddress)).toEqual([true, true]);
    expect(['127.0.0.1', '10.1.2.3', '192.168.0.1', '172.16.0.1', '169.254.169.254', '::1', '::ffff:127.0.0.1', 'fe80::1', 'fc00::1', '0.0.0.0', '100.64.0.1', 'nonsense'].map(isPublicAddress)).toEqual(
      Array(12).fill(false),
    );
  });

  it('refuses local paths, other schemes, and private addresses written out or behind a name', async () => {
    for (const url of ['/etc/passwd', 'file:///etc/passwd', 'ftp://example.com/a.jpg', 'gopher://x']) {
      await expect(fetchImageUrl(url, limits)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    }
    await expect(fetchImageUrl(`${base}/photo.jpg`, limits)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/127\.0\.0\.1.*private, loopback or link-local/) });
    await expect(fetchImageUrl('http://169.254.169.254/latest/meta-data/', limits)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(fetchImageUrl('http://[::1]:9/x.jpg', limits)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const port = new URL(base).port;
    await expect(fetchImageUrl(`http://localhost:${port}/photo.jpg`, limits)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/private, loopback/) });
  });

  it('fetches when private addresses are allowed, checking every redirect, the size and the status', async () => {
    const allow = { ...limits, allowPrivate: true };
    expect(await fetchImageUrl(`${base}/photo.jpg`, allow)).toEqual(Buffer.from([0xff, 0xd8, 0xff, 1, 2, 3]));
    expect(await fetchImageUrl(`${base}/to-photo`, allow)).toHaveLength(6);
    await expect(fetchImageUrl(`${base}/big`, allow)).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    await expect(fetchImageUrl(`${base}/missing`, allow)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('HTTP 404') });
  });
});
