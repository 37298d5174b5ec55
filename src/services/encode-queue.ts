// A bounded queue in front of the model: at most `concurrency` encodings (query texts, photos, catalog batches of the
// write API) run at once and at most `queue` wait; beyond that a request is refused at once with OVERLOADED (503 +
// Retry-After) instead of waiting behind work it cannot outrun, holding its memory and its socket. The model runs
// on a few cores, so a longer queue only adds latency to every request in it.
//
// Example:
//   const embedder = queuedEmbedder(onnxEmbedder, { concurrency: 4, queue: 64 });
import { AppError } from '../errors/app-error.js';
import type { Embedder } from '../model/embedder.js';

export interface EncodeQueueOptions {
  /** Encodings running at once. */
  concurrency: number;
  /** Encodings allowed to wait for a turn. */
  queue: number;
}

export class EncodeQueue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly options: EncodeQueueOptions) {}

  /** Work running and waiting now. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.options.concurrency) {
      if (this.waiting.length >= this.options.queue) {
        throw new AppError('OVERLOADED', `the server is busy: ${this.running} encodings running and ${this.waiting.length} waiting; retry shortly`);
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await work();
    } finally {
      // The turn passes straight to the next in line, so `running` stays counted for it.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/** The embedder with every encoding call through one bounded queue. */
export function queuedEmbedder(embedder: Embedder, options: EncodeQueueOptions): Embedder & { queue: EncodeQueue } {
  const queue = new EncodeQueue(options);
  return {
    queue,
    get manifest() {
      return embedder.manifest;
    },
    encodeTexts: (texts) => queue.run(() => embedder.encodeTexts(texts)),
    preprocessImage: (bytes) => queue.run(() => embedder.preprocessImage(bytes)),
    encodePixels: (pixels) => queue.run(() => embedder.encodePixels(pixels)),
    encodeImages: (images) => queue.run(() => embedder.encodeImages(images)),
    close: () => embedder.close(),
  };
}
