// Vector helpers used by the model runtime, stores and eval. Pure functions.

/** Returns a new L2-normalised copy; a zero vector stays zero. */
export function l2Normalize(v: ArrayLike<number>): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  const norm = Math.sqrt(sum);
  const out = new Float32Array(v.length);
  if (norm === 0) return out;
  for (let i = 0; i < v.length; i++) out[i] = v[i] / norm;
  return out;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`dimension mismatch: ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function norm(v: ArrayLike<number>): number {
  return Math.sqrt(dot(v, v));
}

/** Weighted sum of vectors, re-normalised: score fusion of e.g. image and text embeddings. */
export function weightedMix(parts: { vector: ArrayLike<number>; weight: number }[]): Float32Array {
  if (parts.length === 0) throw new RangeError('weightedMix needs at least one vector');
  const dim = parts[0].vector.length;
  const acc = new Float32Array(dim);
  for (const { vector, weight } of parts) {
    if (vector.length !== dim) throw new RangeError(`dimension mismatch: ${vector.length} vs ${dim}`);
    for (let i = 0; i < dim; i++) acc[i] += weight * vector[i];
  }
  return l2Normalize(acc);
}
