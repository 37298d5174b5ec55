// The write API as an operator sets it up: `vitrine keys new` prints a key and its config entry, a real
// `vitrine serve` on a never-indexed data dir takes the entry from VITRINE_API_KEYS, and a client fills the index
// over a socket (a photo upload), then finds the product.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/config/api-keys.js';
import { makeSyntheticCatalog, type SyntheticCatalog } from '../support/synthetic-catalog.js';
import { startServe, TINY_MODEL, vitrine, type RunningServer } from './support.js';

describe('the write API over a socket, with a key from vitrine keys new', () => {
  let work: string;
  let catalog: SyntheticCatalog;
  let server: RunningServer | undefined;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'vitrine-keys-'));
    catalog = await makeSyntheticCatalog(2);
  });
  afterAll(async () => {
    await server?.stop();
    await rm(work, { recursive: true, force: true });
    await rm(catalog.dir, { recursive: true, force: true });
  });

  it('makes a key whose config entry holds only its hash, and the server takes writes with it', async () => {
    const made = await vitrine(['keys', 'new', '--name', 'shop', '--scopes', 'write']);
    expect(made.code, made.stderr).toBe(0);
    const key = /^\s+(vk_\S+)$/m.exec(made.stdout)![1];
    const entry = JSON.parse(/^\s+(\{.*\})$/m.exec(made.stdout)![1]);
    expect(entry).toEqual({ name: 'shop', hash: hashApiKey(key), scopes: ['write'] });

    server = await startServe(['--data', path.join(work, 'data'), '--model', TINY_MODEL], { VITRINE_API_KEYS: JSON.stringify([entry]) });
    expect(await (await fetch(`${server.url}/readyz`)).json()).toMatchObject({ status: 'empty' });
    const photo = await readFile(path.join(catalog.imagesDir, '1000.jpg'));
    const body = new FormData();
    body.append('title', 'Red summer dress');
    body.append('attributes', JSON.stringify({ colour: 'Red' }));
    body.append('image', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'dress.jpg');
    const refused = await fetch(`${server.url}/api/products/dress-1`, { method: 'PUT', body });
    expect(refused.status).toBe(401);
    const put = await fetch(`${server.url}/api/products/dress-1`, { method: 'PUT', body, headers: { authorization: `Bearer ${key}` } });
    expect(put.status, await put.clone().text()).toBe(200);
    expect(await put.json()).toEqual({ id: 'dress-1', outcome: 'indexed' });
    const search = await fetch(`${server.url}/api/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'dress' }) });
    expect(((await search.json()) as { hits: { id: string }[] }).hits.map((h) => h.id)).toEqual(['dress-1']);
    expect(server.output()).not.toContain(key);
  });
});
