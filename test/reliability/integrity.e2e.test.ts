// Defect 6 of issue 12: a damaged index must not look healthy. With the built CLI on 300 shared products: a data dir
// whose manifest.json is gone, or whose manifest does not match the table, is refused by serve, search and info
// with INDEX_CORRUPT; bytes flipped in a data file are found by `vitrine verify` (and serve refuses to start)
// instead of products silently missing; verify passes on a healthy index.
import { existsSync } from 'node:fs';
import { cp, mkdtemp, open, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, SHARED, spawnVitrine, TINY_MODEL, vitrine } from './support.js';

const hasShared = existsSync(path.join(SHARED, 'catalog.csv'));
if (!hasShared) console.warn('\n*** SKIPPING the integrity tests: ../shared/data/fashion-products is missing ***\n');

/** `vitrine serve` on a damaged data dir: it must end with the error instead of answering. */
async function serveRefuses(data: string): Promise<{ code: number | null; output: string }> {
  const server = spawnVitrine(['serve', '--data', data, '--model', TINY_MODEL, '--port', String(await freePort()), '--host', '127.0.0.1']);
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 120_000);
  const code = await server.exited;
  clearTimeout(timer);
  return { code, output: server.output() };
}

describe.skipIf(!hasShared)('a damaged index', () => {
  let work: string;
  let healthy: string;

  async function copyOfHealthy(name: string): Promise<string> {
    const dir = path.join(work, name);
    await cp(healthy, dir, { recursive: true });
    return dir;
  }

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'vitrine-integrity-'));
    const rows = (await readFile(path.join(SHARED, 'catalog.csv'), 'utf8')).split('\n').slice(0, 301);
    const catalog = path.join(work, 'catalog.csv');
    await writeFile(catalog, rows.join('\n') + '\n');
    healthy = path.join(work, 'healthy');
    const res = await vitrine(['index', catalog, '--images', path.join(SHARED, 'images'), '--data', healthy, '--model', TINY_MODEL]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('verify passes on a healthy index', async () => {
    const res = await vitrine(['verify', '--data', healthy]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toMatch(/index OK: 300 products/);
  });

  it('a missing manifest is refused with INDEX_CORRUPT by serve, search, info and verify', async () => {
    const data = await copyOfHealthy('no-manifest');
    await unlink(path.join(data, 'manifest.json'));
    const served = await serveRefuses(data);
    expect(served.code, served.output).toBe(1);
    expect(served.output).toMatch(/\[INDEX_CORRUPT\].*manifest\.json/);
    for (const args of [['search', 'red dress', '--model', TINY_MODEL], ['info'], ['verify']]) {
      const res = await vitrine([...args, '--data', data]);
      expect(res.code, `${args[0]}: ${res.stdout}${res.stderr}`).toBe(1);
      expect(res.stderr).toMatch(/\[INDEX_CORRUPT\]/);
    }
  });

  it('a manifest that does not match the table is refused', async () => {
    const data = await copyOfHealthy('mismatched');
    const manifest = JSON.parse(await readFile(path.join(data, 'manifest.json'), 'utf8'));
    manifest.columns = { ...manifest.columns, colour: 'attr_99' };
    manifest.attributeFields = [...manifest.attributeFields, 'colour'];
    await writeFile(path.join(data, 'manifest.json'), JSON.stringify(manifest));
    const served = await serveRefuses(data);
    expect(served.code, served.output).toBe(1);
    expect(served.output).toMatch(/\[INDEX_CORRUPT\].*attr_99/);
  });

  it('bytes flipped in a data file are found by verify, and serve refuses to start', async () => {
    const data = await copyOfHealthy('flipped');
    const dir = path.join(data, 'products.lance', 'data');
    const files = await Promise.all((await readdir(dir)).map(async (name) => ({ name, size: (await stat(path.join(dir, name))).size })));
    const victim = files.sort((a, b) => b.size - a.size)[0];
    const handle = await open(path.join(dir, victim.name), 'r+');
    const at = Math.floor(victim.size / 3);
    const bytes = Buffer.alloc(16);
    await handle.read(bytes, 0, 16, at);
    for (let i = 0; i < bytes.length; i++) bytes[i] ^= 0x5a;
    await handle.write(bytes, 0, 16, at);
    await handle.close();

    const verify = await vitrine(['verify', '--data', data]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(1);
    expect(verify.stderr).toMatch(/\[INDEX_CORRUPT\]/);
    expect(verify.stdout + verify.stderr).toContain(victim.name);
    const served = await serveRefuses(data);
    expect(served.code, served.output).toBe(1);
    expect(served.output).toMatch(/\[INDEX_CORRUPT\]/);
  });
});
