// What services report about themselves: timed stages (spans and latency histograms), cache outcomes, and how
// indexed items ended. The observability layer implements it; services see only this interface.
export type QueryStage = 'image_decode' | 'text_encode' | 'image_encode' | 'vector_search' | 'keyword_search' | 'metadata_lookup' | 'render';
/** The index service's stages, traced as `vitrine.index.<stage>` (no latency histogram: batches vary in size). */
export type IndexStage = 'read' | 'load' | 'check' | 'upload' | 'decode' | 'embed' | 'write';
export type CacheName = 'embedding' | 'results';
export type ItemOutcome = 'ok' | 'skipped' | 'failed';

export type StageAttributes = Record<string, string | number | boolean>;

export interface Instrumentation {
  stage<T>(name: QueryStage | `index.${IndexStage}`, attributes: StageAttributes, fn: () => Promise<T>): Promise<T>;
  cache(cache: CacheName, hit: boolean): void;
  /** `count` indexed items ended with `outcome`. */
  indexed(outcome: ItemOutcome, count: number): void;
}

export const noInstrumentation: Instrumentation = {
  stage: (_name, _attributes, fn) => fn(),
  cache: () => undefined,
  indexed: () => undefined,
};
