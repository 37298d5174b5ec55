// Defects 3 and 8 of issue 12 on real sockets against a real `vitrine serve`: clients that send their headers
// (slowloris) or their body a byte at a time are cut off after the configured timeouts instead of holding a
// connection for ever, and a SIGTERM with such clients connected ends the process after the shutdown grace instead
// of waiting for them.
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, TINY_MODEL, type RunningServer } from './support.js';

/** How long the test waits for the server to act before calling it a failure (a hang guard, far above the settings). */
const GUARD_MS = 40_000;

interface Trickle {
  /** Milliseconds from the first byte to the server closing the socket, or null if it never did within the guard. */
  closedAfter: Promise<number | null>;
  /** What the server sent back, if anything. */
  received: () => string;
  stop(): void;
}

/** Opens a socket, sends `head`, then one more byte of `drip` every `everyMs`, until the server closes it. */
function trickle(url: string, head: string, drip: string, everyMs = 500): Trickle {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  let received = '';
  const started = performance.now();
  let i = 0;
  let timer: NodeJS.Timeout | undefined;
  socket.on('data', (d) => (received += d.toString()));
  socket.on('error', () => undefined);
  const closedAfter = new Promise<number | null>((resolve) => {
    const guard = setTimeout(() => resolve(null), GUARD_MS);
    socket.once('close', () => {
      clearTimeout(guard);
      clearInterval(timer);
      resolve(performance.now() - started);
    });
  });
  socket.once('connect', () => {
    socket.write(head);
    timer = setInterval(() => socket.writable && socket.write(drip[i++ % drip.length]), everyMs);
  });
  return { closedAfter, received: () => received, stop: () => (clearInterval(timer), socket.destroy()) };
}

describe('slow clients', () => {
  let dir: string;
  let server: RunningServer;
  const env = { VITRINE_HEADERS_TIMEOUT_SECONDS: '2', VITRINE_REQUEST_TIMEOUT_SECONDS: '4', VITRINE_SHUTDOWN_GRACE_SECONDS: '2' };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vitrine-slow-'));
    // A never-indexed data dir is enough: the server listens and answers; no search is needed here.
    server = await startServe(['--data', path.join(dir, 'empty'), '--model', TINY_MODEL], env);
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('cuts off clients that send their headers slowly (slowloris)', async () => {
    const clients = Array.from({ length: 10 }, () => trickle(server.url, 'GET /healthz HTTP/1.1\r\nHost: vitrine\r\n', 'X-Slow: 1\r\n'));
    const closed = await Promise.all(clients.map((c) => c.closedAfter));
    clients.forEach((c) => c.stop());
    console.log(`slow headers: closed after ${closed.map((ms) => (ms === null ? 'never' : `${(ms / 1000).toFixed(1)} s`)).join(', ')}`);
    expect(closed.every((ms) => ms !== null)).toBe(true);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('cuts off clients that send their body slowly', async () => {
    const head = 'POST /api/search HTTP/1.1\r\nHost: vitrine\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"text":"';
    const clients = Array.from({ length: 10 }, () => trickle(server.url, head, 'aaaa'));
    const closed = await Promise.all(clients.map((c) => c.closedAfter));
    clients.forEach((c) => c.stop());
    console.log(`slow bodies: closed after ${closed.map((ms) => (ms === null ? 'never' : `${(ms / 1000).toFixed(1)} s`)).join(', ')}`);
    expect(closed.every((ms) => ms !== null)).toBe(true);
    expect(clients.some((c) => c.received().startsWith('HTTP/1.1 408'))).toBe(true);
  });

  it('shuts down on SIGTERM within the grace period although slow clients are still sending', async () => {
    const own = await startServe(['--data', path.join(dir, 'empty'), '--model', TINY_MODEL], { ...env, VITRINE_REQUEST_TIMEOUT_SECONDS: '600' });
    const head = 'POST /api/search HTTP/1.1\r\nHost: vitrine\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"text":"';
    const clients = Array.from({ length: 10 }, () => trickle(own.url, head, 'aaaa'));
    await new Promise((r) => setTimeout(r, 1500));
    const started = performance.now();
    own.child.kill('SIGTERM');
    const exited = await Promise.race([own.exited.then(() => performance.now() - started), new Promise<null>((r) => setTimeout(() => r(null), GUARD_MS))]);
    clients.forEach((c) => c.stop());
    if (exited === null) own.child.kill('SIGKILL');
    console.log(`shutdown with 10 slow clients: ${exited === null ? 'still running' : `${(exited / 1000).toFixed(1)} s`}`);
    expect(exited).not.toBeNull();
  });
});
