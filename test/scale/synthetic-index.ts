// Synthetic indexed products for the scale-out suites: seeded unit vectors with clustered structure (so
// nearest neighbours are meaningful) and a few categorical attributes.
import { seededRandom } from '../../src/domain/seeded-random.js';
import { l2Normalize } from '../../src/domain/vector-math.js';
import type { IndexedRecord } from '../../src/domain/types.js';
import type { ModelManifest } from '../../src/model/embedder.js';

/** The project's seeded generator (src/domain/seeded-random.ts), under the name these suites use. */
export const rng = seededRandom;

export function syntheticModel(dimension: number): ModelManifest {
  return { id: `synthetic-${dimension}`, hash: 'c'.repeat(64), dimension, preprocessing: {}, contextLength: 77 };
}

const COLOURS = ['Black', 'White', 'Blue', 'Red', 'Green', 'Navy Blue', 'Grey', 'Pink'];
const TYPES = ['Tshirts', 'Shirts', 'Jeans', 'Watches', 'Casual Shoes', 'Handbags'];
const GENDERS = ['Men', 'Women', 'Unisex'];

export function randomUnit(dim: number, next: () => number, centre?: Float32Array, spread = 0.6): Float32Array {
  const v = new Float32Array(dim);
  for (let i = 0; i < dim; i++) {
    // Box-Muller
    const g = Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
    v[i] = (centre ? centre[i] : 0) + g * (centre ? spread / Math.sqrt(dim) : 1);
  }
  return l2Normalize(v);
}

export function syntheticRecords(count: number, dim: number, seed = 7): IndexedRecord[] {
  const next = rng(seed);
  const centres = Array.from({ length: 64 }, () => randomUnit(dim, next));
  return Array.from({ length: count }, (_, i) => {
    const c = Math.floor(next() * centres.length);
    return {
      id: `p${String(i).padStart(6, '0')}`,
      title: `Product ${i}`,
      attributes: { colour: COLOURS[c % COLOURS.length], articleType: TYPES[Math.floor(next() * TYPES.length)], gender: GENDERS[i % 3] },
      imageRef: `/images/${i}.jpg`,
      contentHash: `h${i}`,
      vector: randomUnit(dim, next, centres[c]),
    };
  });
}

export function syntheticQueries(count: number, dim: number, seed = 99): Float32Array[] {
  const next = rng(seed);
  return Array.from({ length: count }, () => randomUnit(dim, next));
}
