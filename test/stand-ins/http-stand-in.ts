// The plumbing shared by the local HTTP stand-ins of hosted services (Qdrant, Pinecone, GCS): a node:http server
// on 127.0.0.1 with JSON helpers, a request log, and injected failures (e.g. 429 with Retry-After) for retry tests.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
  json<T = any>(): T;
}

export interface StandInResponse {
  status?: number;
  headers?: Record<string, string>;
  json?: unknown;
  body?: Buffer | string;
}

export type StandInHandler = (req: StandInRequest) => Promise<StandInResponse> | StandInResponse;

export interface StandIn {
  url: string;
  /** Method and path of every request received, in order. */
  log: string[];
  /** The next `times` requests get this response instead of being handled; times 0 clears pending failures. */
  failNext(times: number, response: StandInResponse): void;
  close(): Promise<void>;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, r: StandInResponse): void {
  const body = r.json !== undefined ? Buffer.from(JSON.stringify(r.json)) : typeof r.body === 'string' ? Buffer.from(r.body) : (r.body ?? Buffer.alloc(0));
  res.writeHead(r.status ?? 200, { ...(r.json !== undefined ? { 'content-type': 'application/json' } : {}), 'content-length': String(body.length), ...r.headers });
  res.end(body);
}

export async function startStandIn(handler: StandInHandler, onError: (e: unknown) => StandInResponse): Promise<StandIn> {
  const log: string[] = [];
  const failures: { times: number; response: StandInResponse }[] = [];
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const body = await readBody(req);
      log.push(`${req.method} ${url.pathname}`);
      const failure = failures[0];
      if (failure) {
        if (--failure.times <= 0) failures.shift();
        send(res, failure.response);
        return;
      }
      const request: StandInRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
        json: () => (body.length > 0 ? JSON.parse(body.toString('utf8')) : {}),
      };
      send(res, await handler(request));
    } catch (e) {
      send(res, onError(e));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    failNext: (times, response) => {
      if (times <= 0) failures.length = 0;
      else failures.push({ times, response });
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
