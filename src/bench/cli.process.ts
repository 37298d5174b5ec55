// The bench runs the built CLI as users do (`vitrine index`, `vitrine serve` as child processes) and reads what
// the kernel knows about them (RSS, threads, CPU seconds from /proc), so its figures include process start,
// module loading and a real socket.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../model/load-model.js';

export const CLI = path.join(PACKAGE_ROOT, 'dist/cli/main.js');
/** Kernel clock ticks per second for /proc/<pid>/stat; 100 on every Linux build we run on. */
const CLOCK_TICKS = 100;

export interface ProcStats {
  rssMiB: number;
  threads: number;
  /** User + system CPU seconds of every thread so far. */
  cpuSeconds: number;
}

/** Figures of a live process from /proc; null once it is gone. */
export function procStats(pid: number): ProcStats | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3: utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    const threads = Number(/Threads:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { rssMiB: rssKiB / 1024, threads, cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS };
  } catch {
    return null;
  }
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  wallSeconds: number;
  /** CPU seconds of the child, last sampled just before it exited (sampled every 100 ms). */
  cpuSeconds: number;
  peakRssMiB: number;
}

/** Runs `vitrine <args>` to completion. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let last: ProcStats | null = null;
    let peak = 0;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setInterval(() => {
      const s = child.pid ? procStats(child.pid) : null;
      if (s) {
        last = s;
        peak = Math.max(peak, s.rssMiB);
      }
    }, 100);
    child.on('error', (e) => {
      clearInterval(timer);
      reject(e);
    });
    child.on('exit', (code) => {
      clearInterval(timer);
      resolve({ code, stdout, stderr, wallSeconds: (performance.now() - started) / 1000, cpuSeconds: (last as ProcStats | null)?.cpuSeconds ?? 0, peakRssMiB: peak });
    });
  });
}

export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  url: string;
  /** From spawn to the first 200 answer of /readyz. */
  coldStartMs: number;
  stop(): Promise<void>;
}

/** Starts `vitrine serve` on a free port and waits until /readyz says ready (polling every 10 ms). */
export async function startServe(options: { dataDir: string; port: number; env?: NodeJS.ProcessEnv; readyTimeoutMs?: number }): Promise<ServerProcess> {
  // Another server on the port (one left by an earlier run) would answer /readyz for this one.
  const inUse = await fetch(`http://127.0.0.1:${options.port}/healthz`).then(
    () => true,
    () => false,
  );
  if (inUse) throw new Error(`port ${options.port} is in use: stop what listens there or pass --port`);
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, 'serve', '--host', '127.0.0.1', '--port', String(options.port), '--data', options.dataDir], {
    env: options.env ?? process.env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  let exited = false;
  child.on('exit', () => (exited = true));
  const url = `http://127.0.0.1:${options.port}`;
  const deadline = started + (options.readyTimeoutMs ?? 300_000);
  for (;;) {
    if (exited) throw new Error(`vitrine serve exited before it was ready: ${stderr.trim()}`);
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`vitrine serve was not ready after ${options.readyTimeoutMs ?? 300_000} ms: ${stderr.trim()}`);
    }
    try {
      const r = await fetch(`${url}/readyz`);
      await r.arrayBuffer();
      if (r.status === 200) break;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const coldStartMs = performance.now() - started;
  return {
    child,
    pid: child.pid!,
    url,
    coldStartMs,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
