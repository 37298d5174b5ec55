// The golden.json that every export writes (training/vitrine_train/export.py): PyTorch's token ids, pixel values
// and embeddings, which the runtime tests compare against.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';

export interface Golden {
  dim: number;
  context_length: number;
  texts: { text: string; input_ids: number[]; text_embeds: number[] }[];
  images: { file: string; resized: boolean; pixel_values: number[]; pixel_values_shape: number[]; image_embeds: number[] }[];
}

export async function readGolden(modelDir: string): Promise<Golden> {
  return JSON.parse(await readFile(path.join(modelDir, 'golden.json'), 'utf8')) as Golden;
}

/** Largest element-wise difference; the lengths must agree. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
