// Fetching a photo from a URL a client gave (the write API): http(s) only, never a local path, and never an address
// inside the network the server sits in (loopback, private, link-local such as a cloud metadata service) unless the
// operator allows it. The address is checked where the connection is made (a DNS lookup the socket then uses), so a
// name that resolves to a public address when checked and a private one when fetched (DNS rebinding) gets nowhere;
// every redirect is checked again. Size and time are bounded.
//
// Example:
//   const bytes = await fetchImageUrl('https://cdn.shop.example/p/15970.jpg', { maxBytes: 20 << 20, timeoutMs: 30_000 });
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { AppError, errorMessage } from '../../errors/app-error.js';

export interface SafeFetchOptions {
  maxBytes: number;
  timeoutMs: number;
  /** Allow private, loopback and link-local addresses (config allowPrivateImageUrls). */
  allowPrivate?: boolean;
  /** Redirects followed, each checked like the first URL. */
  maxRedirects?: number;
}

/** Whether an address may be fetched: public unicast only (an IPv4-mapped IPv6 address counts as its IPv4). */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  return ip.range() === 'unicast';
}

function refused(url: string, address: string): AppError {
  return new AppError('BAD_REQUEST', `imageUrl ${url} points at ${address}, a private, loopback or link-local address; image URLs must be public (or set allowPrivateImageUrls)`);
}

/** A DNS lookup that fails for names resolving to addresses that are not public. */
function guardedLookup(url: string, allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as LookupAddress[];
      const bad = allowPrivate ? undefined : list.find((a) => !isPublicAddress(a.address));
      if (bad) return callback(refused(url, bad.address) as unknown as NodeJS.ErrnoException, '', 0);
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };
}

/** Checks a URL before connecting: http(s), and (for an address written in the URL) a public one. */
function checkUrl(raw: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError('BAD_REQUEST', `imageUrl ${JSON.stringify(raw.slice(0, 200))} is not a URL; send an http(s) URL or upload the photo`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AppError('BAD_REQUEST', `imageUrl must be an http(s) URL, not ${url.protocol}; local paths are never read`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // The socket does no DNS lookup for an address written out, so it is checked here.
  if (ipaddr.isValid(host) && !allowPrivate && !isPublicAddress(host)) throw refused(raw, host);
  return url;
}

function getOnce(url: URL, options: SafeFetchOptions, signal: AbortSignal): Promise<http.IncomingMessage> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get(url, { lookup: guardedLookup(url.href, options.allowPrivate ?? false), signal, headers: { accept: 'image/*' } }, resolve);
    request.on('error', reject);
  });
}

async function readBody(response: http.IncomingMessage, url: string, maxBytes: number): Promise<Buffer> {
  const declared = Number(response.headers['content-length']);
  if (declared > maxBytes) {
    response.destroy();
    throw new AppError('PAYLOAD_TOO_LARGE', `imageUrl ${url} is ${declared} bytes; the limit is ${maxBytes}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      response.destroy();
      throw new AppError('PAYLOAD_TOO_LARGE', `imageUrl ${url} is over the limit of ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The bytes at an http(s) URL that resolves to public addresses only (BAD_REQUEST otherwise). */
export async function fetchImageUrl(raw: string, options: SafeFetchOptions): Promise<Buffer> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  let url = checkUrl(raw, options.allowPrivate ?? false);
  for (let redirects = 0; ; redirects++) {
    let response: http.IncomingMessage;
    try {
      response = await getOnce(url, options, signal);
    } catch (e) {
      if (e instanceof AppError) throw e;
      const cause = (e as { cause?: unknown }).cause;
      if (cause instanceof AppError) throw cause;
      throw new AppError('BAD_REQUEST', `imageUrl ${url.href} could not be fetched: ${signal.aborted ? `no answer within ${options.timeoutMs} ms` : errorMessage(e)}`, { cause: e });
    }
    const status = response.statusCode ?? 0;
    if (status >= 300 && status < 400 && response.headers.location) {
      response.resume();
      if (redirects >= (options.maxRedirects ?? 3)) throw new AppError('BAD_REQUEST', `imageUrl ${raw} redirects too often`);
      url = checkUrl(new URL(response.headers.location, url).href, options.allowPrivate ?? false);
      continue;
    }
    if (status !== 200) {
      response.resume();
      throw new AppError('BAD_REQUEST', `imageUrl ${url.href} answered HTTP ${status}`);
    }
    return readBody(response, url.href, options.maxBytes);
  }
}
