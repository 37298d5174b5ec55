// Builds a small catalog of generated product photos (coloured shapes) in a temp dir: tests never copy the
// shared photos anywhere.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';

export interface SyntheticCatalog {
  dir: string;
  csv: string;
  jsonl: string;
  imagesDir: string;
  rows: { id: string; title: string; gender: string; articleType: string; baseColour: string; image: string }[];
}

const COLOURS: [string, string][] = [
  ['Red', '#d22'],
  ['Blue', '#23c'],
  ['Green', '#2a4'],
  ['Black', '#111'],
  ['White', '#eee'],
  ['Yellow', '#ed2'],
];
const TYPES = ['Tshirts', 'Shirts', 'Jeans', 'Dresses'];
const GENDERS = ['Men', 'Women'];

export async function makeProductImage(seed: number, colour: string, width = 60, height = 80): Promise<Buffer> {
  const shape = seed % 3;
  const x = 10 + ((seed * 7) % 25);
  const y = 10 + ((seed * 13) % 40);
  const body =
    shape === 0
      ? `<rect x="${x}" y="${y}" width="${20 + (seed % 10)}" height="${25 + (seed % 15)}" fill="${colour}"/>`
      : shape === 1
        ? `<circle cx="${x + 10}" cy="${y + 10}" r="${8 + (seed % 8)}" fill="${colour}"/>`
        : `<polygon points="${x},${y + 30} ${x + 15},${y} ${x + 30},${y + 30}" fill="${colour}"/>`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/>${body}<rect x="0" y="${height - 6}" width="${(seed * 9) % width}" height="6" fill="#888"/></svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 90 }).toBuffer();
}

export async function makeSyntheticCatalog(count = 24): Promise<SyntheticCatalog> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vitrine-catalog-'));
  const imagesDir = path.join(dir, 'images');
  await mkdir(imagesDir);
  const rows: SyntheticCatalog['rows'] = [];
  for (let i = 0; i < count; i++) {
    const [colourName, colour] = COLOURS[i % COLOURS.length];
    const articleType = TYPES[i % TYPES.length];
    const gender = GENDERS[i % GENDERS.length];
    const id = String(1000 + i);
    await writeFile(path.join(imagesDir, `${id}.jpg`), await makeProductImage(i, colour));
    rows.push({ id, title: `${gender} ${colourName} ${articleType} ${i}`, gender, articleType, baseColour: colourName, image: `images/${id}.jpg` });
  }
  const csv = path.join(dir, 'catalog.csv');
  await writeFile(csv, ['id,title,gender,articleType,baseColour,image', ...rows.map((r) => [r.id, r.title, r.gender, r.articleType, r.baseColour, r.image].join(','))].join('\n') + '\n');
  const jsonl = path.join(dir, 'catalog.jsonl');
  await writeFile(jsonl, rows.map((r) => JSON.stringify({ id: r.id, title: r.title, image: r.image, attributes: { gender: r.gender, articleType: r.articleType, baseColour: r.baseColour } })).join('\n') + '\n');
  return { dir, csv, jsonl, imagesDir, rows };
}
