// The shape of results.json: every figure of an eval run plus what is needed to reproduce and trust it (model and
// catalog hashes, counts, whether a saved index was reused, timings).

export type EvalTask = 'text-to-image' | 'attribute' | 'brand' | 'image-to-image' | 'zero-shot' | 'robustness';

export interface ModelInfo {
  id: string;
  hash: string;
  dimension: number;
}

export interface IndexInfo {
  /** Folder of the gallery index used for this model and catalog. */
  dir: string;
  /** True when every gallery product was already in the saved index, so nothing was embedded again. */
  reused: boolean;
  indexed: number;
  skipped: number;
  failed: number;
  /** Products in the index after indexing. */
  documents: number;
}

export interface SimilaritySample {
  productIds: string[];
  titles: string[];
  /** similarity[row = title i][column = image j], cosine. */
  similarity: number[][];
}

export interface RetrievalRun {
  model: ModelInfo;
  /** How text queries were searched (vector, keyword or hybrid); absent for image queries. */
  mode?: 'vector' | 'keyword' | 'hybrid';
  index: IndexInfo;
  /** Description of the documents searched, e.g. `image` or `image:0.90,text:0.10`. */
  documents: string;
  queries: { total: number; evaluated: number; skipped: number; truncatedTexts: number; failed: number };
  metrics: Record<string, number | null>;
  /** Mean recall@k for k = 1..maxK. */
  recallCurve: number[];
  heatmap?: SimilaritySample;
  timingsMs: Record<string, number>;
}

export interface ZeroShotRun {
  model: ModelInfo;
  images: { total: number; failed: number; failures: { file: string; reason: string }[] };
  prompts: string[];
  accuracy: number | null;
  macroF1: number | null;
  labels: string[];
  confusion: number[][];
  perClass: { label: string; support: number; precision: number; recall: number; f1: number }[];
  timingsMs: Record<string, number>;
}

interface ResultsBase {
  tool: 'vitrine eval';
  schemaVersion: 1;
  createdAt: string;
  /** The options the run was called with (paths as given). */
  options: Record<string, unknown>;
}

export interface RetrievalResults extends ResultsBase {
  task: Exclude<EvalTask, 'zero-shot' | 'robustness'>;
  catalog: {
    source: string;
    images?: string;
    /** SHA-256 over the gallery products' ids, titles, attributes and image references. */
    hash: string;
    products: number;
    gallery: number;
    querySplit?: string;
    gallerySplit?: string;
    /** Set when every query carries one seeded one-character edit (query-sets.ts typoQueries). */
    typoSeed?: number;
  };
  ks: number[];
  /** Retrieved list length per query: mAP is computed over this many results. */
  depth: number;
  runs: RetrievalRun[];
}

export interface ZeroShotResults extends ResultsBase {
  task: 'zero-shot';
  dataset: { images: string; labels: string; samples: number; classes: number };
  runs: ZeroShotRun[];
}

/** One image query of the robustness task: its top hits and its figures. */
export interface RobustnessQueryResult {
  /** Photo file (photos set) or product id (transformed and hires sets). */
  id: string;
  label?: string;
  productId?: string;
  top: { id: string; value: string | null; score: number }[];
  /** `precision@k` (same kind) and, for same-product queries, `recall@k`: 0 or 1 per query. */
  metrics: Record<string, number>;
}

export interface RobustnessSetResult {
  /** `photos`, `transform:<name>` or `hires`. */
  name: string;
  description: string;
  queries: number;
  failed: number;
  failures: { id: string; reason: string }[];
  /** Means over the evaluated queries. */
  metrics: Record<string, number | null>;
  perClass?: { label: string; queries: number; metrics: Record<string, number | null> }[];
  perQuery: RobustnessQueryResult[];
}

export interface RobustnessRun {
  model: ModelInfo;
  index: IndexInfo;
  sets: RobustnessSetResult[];
  timingsMs: Record<string, number>;
}

export interface RobustnessResults extends ResultsBase {
  task: 'robustness';
  catalog: { source: string; images?: string; hash: string; products: number; gallery: number; gallerySplit?: string };
  /** The field that defines "the same kind of product". */
  field: string;
  ks: number[];
  photos?: { dir: string; labels: string; labelMap: string; half?: string };
  transformed?: { split?: string; sample: number; seed: number; transforms: string[] };
  runs: RobustnessRun[];
}

export type EvalResults = RetrievalResults | ZeroShotResults | RobustnessResults;
