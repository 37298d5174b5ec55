// No terraform binary here: terraform/ is parsed with HashiCorp's own HCL parser (@cdktf/hcl2json, the Go parser
// compiled to WebAssembly), then checked: every var.X is a declared variable, every local.X a declared local, every
// resource reference names a declared resource, and the outputs Vitrine's config reads exist. A small structural
// scan (brackets and quotes balance outside strings, comments and heredocs) backs the reference checks.
import { describe, expect, it } from 'vitest';
import { parse as parseHcl } from '@cdktf/hcl2json';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const dir = path.resolve('terraform');
const files = readdirSync(dir).filter((f) => f.endsWith('.tf'));
const sources = Object.fromEntries(files.map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
const all = Object.values(sources).join('\n');

/** The text with comments removed and string contents blanked (interpolations kept), or an error. */
export function stripHcl(text: string): string {
  let out = '';
  let i = 0;
  const stack: string[] = [];
  const pairs: Record<string, string> = { '{': '}', '[': ']', '(': ')' };
  while (i < text.length) {
    const c = text[i];
    if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new Error('unterminated /* comment');
      i = end + 2;
      continue;
    }
    if (c === '<' && text[i + 1] === '<') {
      const m = /^<<-?([A-Z_]+)\n/.exec(text.slice(i));
      if (m) {
        const end = text.indexOf(`\n${m[1]}`, i);
        if (end < 0) throw new Error(`unterminated heredoc ${m[1]}`);
        i = end + m[1].length + 1;
        out += '""';
        continue;
      }
    }
    if (c === '"') {
      // Strings: keep ${...} interpolations (they hold references), blank the rest; handle escapes.
      out += '"';
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\') {
          i += 2;
          continue;
        }
        if (text[i] === '\n') throw new Error('newline inside a string');
        if (text[i] === '$' && text[i + 1] === '{') {
          out += '$';
          i++;
          let depth = 0;
          do {
            if (text[i] === '{') depth++;
            if (text[i] === '}') depth--;
            out += text[i];
            i++;
          } while (i < text.length && depth > 0);
          continue;
        }
        i++;
      }
      if (i >= text.length) throw new Error('unterminated string');
      out += '"';
      i++;
      continue;
    }
    if (c in pairs) stack.push(pairs[c]);
    if (c === '}' || c === ']' || c === ')') {
      const expected = stack.pop();
      if (expected !== c) throw new Error(`unbalanced ${c} at offset ${i} (expected ${expected ?? 'nothing'})`);
    }
    out += c;
    i++;
  }
  if (stack.length > 0) throw new Error(`unclosed ${stack.join('')}`);
  return out;
}

describe('terraform/', () => {
  it('parses with the HCL parser into the expected blocks', async () => {
    const parsed = Object.fromEntries(await Promise.all(files.map(async (f) => [f, await parseHcl(f, sources[f])] as const)));
    expect(Object.keys(parsed['versions.tf']).sort()).toEqual(['provider', 'terraform']);
    expect(Object.keys(parsed['main.tf']).sort()).toEqual(['locals', 'resource']);
    expect(Object.keys(parsed['outputs.tf'].output).sort()).toEqual(['image_bucket_url', 'image_public_base', 'pinecone_host', 'vitrine_store', 'vitrine_store_read_replicas']);
    const resources = parsed['main.tf'].resource as Record<string, Record<string, unknown>>;
    expect(Object.keys(resources).sort()).toEqual([
      'google_sql_database',
      'google_sql_database_instance',
      'google_sql_user',
      'google_storage_bucket',
      'google_storage_bucket_iam_member',
      'pinecone_index',
      'random_password',
    ]);
    await expect(parseHcl('broken.tf', 'a = { b = [1, 2 }')).rejects.toBeTruthy();
  });

  it('has the expected files, each balanced', () => {
    expect(files.sort()).toEqual(['main.tf', 'outputs.tf', 'variables.tf', 'versions.tf']);
    for (const [file, text] of Object.entries(sources)) expect(() => stripHcl(text), file).not.toThrow();
  });

  const code = Object.values(sources).map(stripHcl).join('\n');
  const declaredVariables = [...all.matchAll(/^variable "([a-z_0-9]+)"/gm)].map((m) => m[1]);
  const declaredResources = new Set([...all.matchAll(/^resource "([a-z_0-9]+)" "([a-z_0-9]+)"/gm)].map((m) => `${m[1]}.${m[2]}`));
  const localsBlock = /^locals \{([\s\S]*?)^\}/m.exec(all)?.[1] ?? '';
  const declaredLocals = [...localsBlock.matchAll(/^\s+([a-z_0-9]+)\s*=/gm)].map((m) => m[1]);

  it('uses only declared variables, and uses every declared one', () => {
    const used = new Set([...code.matchAll(/\bvar\.([a-z_0-9]+)/g)].map((m) => m[1]));
    expect([...used].filter((v) => !declaredVariables.includes(v))).toEqual([]);
    expect(declaredVariables.filter((v) => !used.has(v))).toEqual([]);
  });

  it('every variable has a description and a type', () => {
    for (const m of all.matchAll(/^variable "([a-z_0-9]+)" \{([\s\S]*?)^\}/gm)) {
      expect(m[2], m[1]).toMatch(/\bdescription\s*=/);
      expect(m[2], m[1]).toMatch(/\btype\s*=/);
    }
  });

  it('uses only declared locals and resources', () => {
    const usedLocals = new Set([...code.matchAll(/\blocal\.([a-z_0-9]+)/g)].map((m) => m[1]));
    expect([...usedLocals].filter((l) => !declaredLocals.includes(l))).toEqual([]);
    const referenced = new Set([...code.matchAll(/\b((?:google|random|pinecone)_[a-z_0-9]+)\.([a-z_0-9]+)/g)].map((m) => `${m[1]}.${m[2]}`));
    expect([...referenced].filter((r) => !declaredResources.has(r))).toEqual([]);
  });

  it('declares the providers it uses and the outputs Vitrine reads', () => {
    for (const provider of ['google', 'random', 'pinecone']) {
      expect(sources['versions.tf']).toContain(`source  = "${provider === 'google' || provider === 'random' ? 'hashicorp' : 'pinecone-io'}/${provider}"`);
    }
    const outputs = [...all.matchAll(/^output "([a-z_0-9]+)"/gm)].map((m) => m[1]);
    expect(outputs).toEqual(expect.arrayContaining(['vitrine_store', 'image_bucket_url', 'image_public_base']));
    expect(/^output "vitrine_store" \{[\s\S]*?sensitive\s*=\s*true/m.test(all)).toBe(true);
    expect(all).toMatch(/postgres:\/\/%s:%s@%s:5432\/%s\?table=%s/);
    expect(all).toMatch(/pinecone:\/\/%s\?namespace=%s/);
  });

  it('the structural check catches broken files', () => {
    expect(() => stripHcl('a = { b = [1, 2 }')).toThrow(/unbalanced/);
    expect(() => stripHcl('a = "x')).toThrow(/unterminated/);
    expect(stripHcl('a = "${var.x}" # var.y')).toBe('a = "${var.x}" ');
  });
});
