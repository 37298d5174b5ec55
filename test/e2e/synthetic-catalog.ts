// A small made-up catalog for the page's end-to-end tests: 30 products whose photos are coloured
// shapes and patterns drawn with sharp, so no real photo ever ends up in a test or a screenshot.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';

export interface SyntheticProduct {
  id: string;
  title: string;
  gender: string;
  articleType: string;
  baseColour: string;
  /** "NA" for every third product: the catalog's own placeholder, which the page shows as "Not specified". */
  season: string;
  imagePath: string;
}

const COLOURS: Array<[name: string, fill: string, ink: string]> = [
  ['Red', '#d7263d', '#fff4e6'],
  ['Blue', '#1b4fd1', '#ffd23f'],
  ['Green', '#2e933c', '#101010'],
  ['Black', '#161616', '#e0e0e0'],
  ['Yellow', '#f5c518', '#2b2b2b'],
  ['White', '#f4f4f4', '#c0392b'],
];
const PATTERNS: Array<[name: string, articleType: string, gender: string]> = [
  ['striped', 'Tshirts', 'Men'],
  ['dotted', 'Dresses', 'Women'],
  ['checked', 'Shirts', 'Men'],
  ['ringed', 'Handbags', 'Women'],
  ['zigzag', 'Sneakers', 'Unisex'],
];

function svgFor(pattern: string, fill: string, ink: string): string {
  const w = 240;
  const h = 320;
  let motif = '';
  if (pattern === 'striped') {
    for (let x = 0; x < w; x += 40) motif += `<rect x="${x}" y="0" width="18" height="${h}" fill="${ink}"/>`;
  } else if (pattern === 'dotted') {
    for (let y = 20; y < h; y += 50) for (let x = 20; x < w; x += 50) motif += `<circle cx="${x}" cy="${y}" r="12" fill="${ink}"/>`;
  } else if (pattern === 'checked') {
    for (let y = 0; y < h; y += 60) for (let x = (y / 60) % 2 === 0 ? 0 : 60; x < w; x += 120) motif += `<rect x="${x}" y="${y}" width="60" height="60" fill="${ink}"/>`;
  } else if (pattern === 'ringed') {
    motif = `<circle cx="120" cy="170" r="95" fill="${ink}"/><circle cx="120" cy="170" r="55" fill="${fill}"/>`;
  } else {
    motif = `<polyline points="0,260 40,200 80,260 120,200 160,260 200,200 240,260" fill="none" stroke="${ink}" stroke-width="22"/>` +
      `<polygon points="120,30 200,150 40,150" fill="${ink}"/>`;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="${w}" height="${h}" fill="${fill}"/>${motif}</svg>`;
}

/**
 * Writes `<dir>/catalog.csv` (id,title,gender,articleType,baseColour,season,year,split,image) and
 * `<dir>/images/<id>.png`. The year and the split are bookkeeping columns the page must not offer as filters.
 */
export async function writeSyntheticCatalog(dir: string): Promise<SyntheticProduct[]> {
  await mkdir(path.join(dir, 'images'), { recursive: true });
  const products: SyntheticProduct[] = [];
  let n = 0;
  for (const [pattern, articleType, gender] of PATTERNS) {
    for (const [colour, fill, ink] of COLOURS) {
      n++;
      const id = String(1000 + n);
      const imagePath = path.join(dir, 'images', `${id}.png`);
      await sharp(Buffer.from(svgFor(pattern, fill, ink))).png().toFile(imagePath);
      const noun = articleType === 'Tshirts' ? 'T-shirt' : articleType.replace(/s$/, '').replace(/Dresse$/, 'Dress');
      const season = n % 3 === 0 ? 'NA' : n % 3 === 1 ? 'Summer' : 'Winter';
      products.push({ id, title: `${colour} ${pattern} ${noun.toLowerCase()}`, gender, articleType, baseColour: colour, season, imagePath });
    }
  }
  const lines = ['id,title,gender,articleType,baseColour,season,year,split,image'];
  products.forEach((p, i) => lines.push([p.id, p.title, p.gender, p.articleType, p.baseColour, p.season, String(2011 + (i % 5)), i % 4 === 0 ? 'test' : 'train', `images/${p.id}.png`].join(',')));
  await writeFile(path.join(dir, 'catalog.csv'), `${lines.join('\n')}\n`);
  return products;
}
