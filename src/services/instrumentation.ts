// What services report about themselves: timed stages (spans and latency histograms) and cache outcomes.
// The observability layer implements it; services see only this interface.
export type QueryStage = 'image_decode' | 'text_encode' | 'image_encode' | 'vector_search' | 'metadata_lookup' | 'render';
export type CacheName = 'embedding' | 'results';

export interface Instrumentation {
  stage<T>(name: QueryStage, attributes: Record<string, string | number | boolean>, fn: () => Promise<T>): Promise<T>;
  cache(cache: CacheName, hit: boolean): void;
}

export const noInstrumentation: Instrumentation = {
  stage: (_name, _attributes, fn) => fn(),
  cache: () => undefined,
};
