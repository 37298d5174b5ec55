// The port of an approximate nearest-neighbour index behind the in-memory index: it only proposes candidate rows;
// the in-memory index filters them with its bitmaps and scores them again exactly, so an ANN never decides a
// score or a tie, only which rows are looked at.

export interface AnnSearch {
  query: Float32Array;
  /** Accepted rows wanted (offset + k of the page). */
  wanted: number;
  /** Share of the rows the filter accepts (1 without a filter): the ANN asks for about wanted / share. */
  share: number;
  accept: (row: number) => boolean;
}

export interface AnnIndex {
  /** Adds or replaces the rows' vectors, read from the row-major matrix. */
  upsert(rows: ArrayLike<number>, matrix: Float32Array): void;
  remove(rows: ArrayLike<number>): void;
  /**
   * Candidate rows (accepted ones, at least `wanted` when that many exist among what the index reaches), or null
   * when the index cannot reach enough accepted rows cheaply and the caller should search exactly.
   */
  search(request: AnnSearch): number[] | null;
  /** Rows held. */
  readonly size: number;
  /** Settings worth reporting (kind, connectivity, expansion, quantisation). */
  readonly description: string;
  close(): void;
}

export type AnnIndexFactory = (options: { dim: number; capacity: number }) => Promise<AnnIndex>;
