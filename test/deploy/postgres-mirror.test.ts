// scripts/postgres/lib.sh builds its Debian trixie tree from the mirror apt already uses on the machine,
// read from apt's sources (deb822 and one-line), and the repository's scripts name no mirror host.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const LIB = path.join(ROOT, 'scripts/postgres/lib.sh');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'vitrine-apt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** An apt folder with these files (path relative to it -> content). */
function aptDir(name: string, files: Record<string, string>): string {
  const dir = path.join(tmp, name);
  mkdirSync(path.join(dir, 'sources.list.d'), { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
  return dir;
}

function run(script: string, env: Record<string, string> = {}) {
  const result = spawnSync('bash', ['-c', `set -euo pipefail; . "${LIB}"; ${script}`], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });
  return { status: result.status, stdout: result.stdout.trim(), stderr: result.stderr };
}

describe('the Debian mirror of scripts/postgres', () => {
  it('takes the first Debian release archive from deb822 sources, past vendor, disabled and security entries', () => {
    const dir = aptDir('deb822', {
      'sources.list.d/nodesource.sources': 'Types: deb\nURIs: https://node.example/node_20.x\nSuites: nodistro\nComponents: main\n',
      'sources.list.d/debian.sources': [
        '# a comment',
        'Types: deb-src',
        'URIs: http://src.example/debian',
        'Suites: bookworm',
        '',
        'Types: deb',
        'URIs: http://off.example/debian',
        'Suites: bookworm',
        'Enabled: no',
        '',
        'Types: deb',
        'URIs: http://security.example/debian-security',
        'Suites: bookworm-security',
        '',
        'Types: deb',
        'URIs: http://mirror.example/debian http://second.example/debian',
        'Suites: bookworm bookworm-updates',
        'Components: main',
        'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
      ].join('\n'),
      'sources.list.d/other.list.disabled': 'deb http://disabled.example/debian bookworm main\n',
    });
    expect(run(`debian_mirror_from_apt "${dir}"`).stdout).toBe('http://mirror.example/debian');
  });

  it('reads one-line sources when there is no deb822 entry', () => {
    const dir = aptDir('one-line', {
      'sources.list': [
        '# deb http://commented.example/debian bookworm main',
        'deb-src http://src.example/debian bookworm main',
        'deb http://security.example/debian-security bookworm-security main',
        'deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://mirror.example/debian bookworm main',
      ].join('\n'),
    });
    expect(run(`debian_mirror_from_apt "${dir}"`).stdout).toBe('http://mirror.example/debian');
  });

  it('prefers VITRINE_PG_MIRROR, and without any source fails saying how to set one', () => {
    const empty = aptDir('empty', {});
    expect(run(`debian_mirror "${empty}"`, { VITRINE_PG_MIRROR: 'http://chosen.example/debian' }).stdout).toBe('http://chosen.example/debian');
    expect(run(`debian_mirror_from_apt "${empty}"`)).toMatchObject({ status: 0, stdout: '' });
    const none = run(`debian_mirror "${empty}"`);
    expect(none.status).toBe(1);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('set VITRINE_PG_MIRROR');
  });

  it('names no host of its own in the scripts', () => {
    for (const file of readdirSync(path.join(ROOT, 'scripts/postgres'))) {
      const text = readFileSync(path.join(ROOT, 'scripts/postgres', file), 'utf8');
      expect(text.match(/[a-z]+:\/\/[a-z0-9-]+(\.[a-z0-9-]+)+/gi) ?? [], file).toEqual([]);
    }
  });
});
