// Builds the search page into dist/web/: web/src/main.ts and web/src/styles.css bundled and minified by
// esbuild under content-hashed names (safe to cache for ever), and web/index.html pointing at them.
// Usage: node web/build.mjs [--outdir dist/web]. Prints the size of each file, raw and gzipped.
import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const webDir = dirname(fileURLToPath(import.meta.url));
const rootDir = resolve(webDir, '..');
const outdirFlag = process.argv.indexOf('--outdir');
const outDir = resolve(rootDir, outdirFlag > 0 ? process.argv[outdirFlag + 1] : 'dist/web');

await rm(outDir, { recursive: true, force: true });
await mkdir(outDir, { recursive: true });

const result = await build({
  entryPoints: [join(webDir, 'src/main.ts'), join(webDir, 'src/styles.css')],
  outdir: join(outDir, 'assets'),
  entryNames: '[name]-[hash]',
  bundle: true,
  minify: true,
  format: 'esm',
  // Browsers from 2021 on: keeps modern syntax (smaller) while covering what people use.
  target: ['es2021', 'chrome100', 'firefox100', 'safari15'],
  sourcemap: false,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((file) => resolve(rootDir, file));
const script = outputs.find((file) => file.endsWith('.js'));
const styles = outputs.find((file) => file.endsWith('.css'));
if (!script || !styles) throw new Error('esbuild produced no script or no stylesheet');

const html = (await readFile(join(webDir, 'index.html'), 'utf8'))
  .replace('__SCRIPT__', `assets/${basename(script)}`)
  .replace('__STYLES__', `assets/${basename(styles)}`)
  // Line breaks and indentation go; a space inside a line stays (it can matter between inline elements).
  .replace(/>\n\s*</g, '><')
  .replace(/\n\s*/g, ' ');
await writeFile(join(outDir, 'index.html'), html);

const files = [join(outDir, 'index.html'), script, styles];
let totalRaw = 0;
let totalGzip = 0;
for (const file of files) {
  const bytes = await readFile(file);
  const gzip = gzipSync(bytes, { level: 9 }).length;
  totalRaw += bytes.length;
  totalGzip += gzip;
  console.log(`${relative(rootDir, file).padEnd(40)} ${String(bytes.length).padStart(7)} B  ${String(gzip).padStart(6)} B gzip`);
}
console.log(`${'web page total'.padEnd(40)} ${String(totalRaw).padStart(7)} B  ${String(totalGzip).padStart(6)} B gzip`);
