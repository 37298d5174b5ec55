// Processes for the reliability suites and the soak: the built CLI as users run it, a real `vitrine serve` on a
// socket, and a private PostgreSQL instance that may be restarted (scripts/postgres/instance.sh; the shared server
// from start.sh is never touched).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** The repository: the first folder up from here holding package.json (this file also runs bundled from dist/scripts). */
function repositoryRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(from, '..');
  }
}
export const ROOT = repositoryRoot(import.meta.dirname);
export const CLI = path.join(ROOT, 'dist/cli/main.js');
export const TINY_MODEL = path.join(ROOT, 'test/fixtures/tiny-clip');
export const SHARED = path.resolve(ROOT, '../shared/data/fashion-products');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `vitrine <args>` (the built CLI) to the end. */
export async function vitrine(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** Starts `vitrine <args>` in the background, collecting its output. */
export function spawnVitrine(args: string[], env: Record<string, string> = {}): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
  return { child, output: () => output, exited };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Thrown by a waitFor check to stop waiting at once. */
export class DeadEnd extends Error {}

/** Polls `check` until it returns a value (not undefined), or throws after `timeoutMs` (a hang guard, not a speed check). */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 180_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let value: T | undefined;
    try {
      value = await check();
    } catch (e) {
      // A check that finds the thing it waits for can never come (a process gone) says so by throwing a DeadEnd.
      if (e instanceof DeadEnd) throw e;
    }
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface RunningServer {
  url: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** `vitrine serve` on a free port, once /readyz answers 200 (or any status when `ready` is false). */
export async function startServe(args: string[], env: Record<string, string> = {}, options: { ready?: boolean } = {}): Promise<RunningServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = spawnVitrine(['serve', '--port', String(port), '--host', '127.0.0.1', ...args], { VITRINE_LOG_LEVEL: 'warn', ...env });
  let gone = false;
  void server.exited.then(() => (gone = true));
  await waitFor(`vitrine serve on ${url}`, async () => {
    if (gone) throw new Error(`vitrine serve exited early:\n${server.output()}`);
    const r = await fetch(`${url}/readyz`);
    return options.ready === false || r.status === 200 ? true : undefined;
  }).catch((e) => {
    server.child.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\n${server.output()}`);
  });
  return {
    url,
    ...server,
    async stop() {
      if (!gone) {
        server.child.kill('SIGTERM');
        await server.exited;
      }
    },
  };
}

/** A private PostgreSQL of the tests' own (never the shared one), or the reason it cannot run here. */
export interface PgInstance {
  url: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
}

const INSTANCE_SCRIPT = path.join(ROOT, 'scripts/postgres/instance.sh');
const PG_TREE = process.env.VITRINE_PG_ROOT ?? '/var/cache/vitrine-pg/trixie';

/** Why a private Postgres cannot be started here (null when it can): root and the Debian tree of start.sh. */
export function pgInstanceUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'not root (the PostgreSQL scripts chroot into a Debian tree)';
  if (!existsSync(path.join(PG_TREE, 'usr/lib/postgresql/17/bin/postgres'))) return `no PostgreSQL tree at ${PG_TREE} (run scripts/postgres/start.sh once)`;
  return null;
}

export async function pgInstance(name: string): Promise<PgInstance> {
  const script = async (...args: string[]) => (await run('bash', [INSTANCE_SCRIPT, ...args], { maxBuffer: 4 * 1024 * 1024 })).stdout.trim();
  const url = (await script('start', name)).split('\n').pop()!;
  return {
    url,
    restart: async () => void (await script('restart', name)),
    stop: async () => void (await script('stop', name)),
    start: async () => void (await script('start', name)),
  };
}
