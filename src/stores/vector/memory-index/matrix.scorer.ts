// Scores a query against the rows of one row-major Float32Array matrix with ONNX Runtime's SIMD matrix-vector
// product (float32), all rows or a chosen subset. The matrix is handed to ONNX Runtime as a view, not copied.
// Float32 sums carry a rounding error that `float32ErrorBound` bounds, so callers can re-score the few rows near
// the cut-off in float64 and rank exactly.
import * as ort from 'onnxruntime-node';
import { fullScoringGraph, subsetScoringGraph } from './scoring.onnx-graph.js';

export interface MatrixScorerOptions {
  dim: number;
  /** ONNX Runtime intra-op threads for one scoring run (default 1: a query server runs queries side by side). */
  threads?: number;
}

/**
 * An upper bound of |float32 dot - exact dot| for a query of L2 norm `queryNorm` against rows of L2 norm at most
 * `maxRowNorm`: gamma_d * sum|q_i x_i| <= gamma_d * |q| |x| (Higham, recursive summation), gamma_d = d u / (1 - d u)
 * with u = 2^-24; doubled because the cut-off score itself carries the same error.
 */
export function float32ErrorBound(dim: number, queryNorm: number, maxRowNorm: number): number {
  const du = dim * 2 ** -24;
  return 2 * (du / (1 - du)) * queryNorm * maxRowNorm + 1e-12;
}

export class MatrixScorer {
  private constructor(
    private readonly dim: number,
    private readonly all: ort.InferenceSession,
    private readonly subset: ort.InferenceSession,
  ) {}

  static async create(options: MatrixScorerOptions): Promise<MatrixScorer> {
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: options.threads ?? 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      executionProviders: ['cpu'],
      // Pool threads that spin between runs burn the cores the other queries need.
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    };
    const [all, subset] = await Promise.all([
      ort.InferenceSession.create(fullScoringGraph(options.dim), sessionOptions),
      ort.InferenceSession.create(subsetScoringGraph(options.dim), sessionOptions),
    ]);
    return new MatrixScorer(options.dim, all, subset);
  }

  private matrixTensor(matrix: Float32Array, rows: number): ort.Tensor {
    return new ort.Tensor('float32', matrix.subarray(0, rows * this.dim), [rows, this.dim]);
  }

  /** Float32 scores of rows 0..rows-1 of `matrix` against `query`. */
  async scoreAll(matrix: Float32Array, rows: number, query: Float32Array): Promise<Float32Array> {
    if (rows === 0) return new Float32Array(0);
    const out = await this.all.run({ matrix: this.matrixTensor(matrix, rows), query: new ort.Tensor('float32', query, [this.dim, 1]) });
    return out.scores.data as Float32Array;
  }

  /** Float32 scores of the listed rows (in that order) of the first `rows` rows of `matrix`. */
  async scoreRows(matrix: Float32Array, rows: number, picks: Int32Array, query: Float32Array): Promise<Float32Array> {
    if (picks.length === 0) return new Float32Array(0);
    const out = await this.subset.run({
      matrix: this.matrixTensor(matrix, rows),
      rows: new ort.Tensor('int32', picks, [picks.length]),
      query: new ort.Tensor('float32', query, [this.dim, 1]),
    });
    return out.scores.data as Float32Array;
  }

  async close(): Promise<void> {
    await Promise.all([this.all.release(), this.subset.release()]);
  }
}

/** The float64 dot product of row `row` of `matrix` with `query` (exact products of float32 values, float64 sums). */
export function dot64(matrix: Float32Array, dim: number, row: number, query: Float32Array): number {
  const o = row * dim;
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  let j = 0;
  for (; j + 3 < dim; j += 4) {
    a0 += matrix[o + j] * query[j];
    a1 += matrix[o + j + 1] * query[j + 1];
    a2 += matrix[o + j + 2] * query[j + 2];
    a3 += matrix[o + j + 3] * query[j + 3];
  }
  for (; j < dim; j++) a0 += matrix[o + j] * query[j];
  return a0 + a1 + a2 + a3;
}
