// The Embedder port: what the rest of Vitrine needs from a CLIP-style model. The ONNX runtime implements it.
import type { ModelCalibration } from '../domain/calibration.js';

/** Everything that identifies a model for an index: a store refuses vectors from another model. */
export interface ModelManifest {
  /** Folder path or Hugging Face id as configured. */
  id: string;
  /** SHA-256 over the model's ONNX, tokenizer and config files: changes whenever weights or preprocessing do. */
  hash: string;
  dimension: number;
  /** The preprocessing settings read from preprocessor_config.json. */
  preprocessing: Record<string, unknown>;
  /** Token context length of the text tower. */
  contextLength: number;
  /**
   * cosine -> calibrated similarity per query kind (config.json `vitrine.calibration`); absent for models without
   * one (plain Hugging Face exports), whose similarity is the cosine. Apply with domain/calibration.ts.
   */
  calibration?: ModelCalibration;
}

export interface TextEncoding {
  vectors: Float32Array[];
  /** Indices of the inputs that were cut to the model's context length. */
  truncated: number[];
}

/** Model-ready pixel values of one image: channels-first float32, shape [3, height, width]. */
export interface PixelValues {
  data: Float32Array;
  height: number;
  width: number;
}

export interface Embedder {
  readonly manifest: ModelManifest;
  /** L2-normalised text embeddings, one per input, in order. */
  encodeTexts(texts: string[]): Promise<TextEncoding>;
  /**
   * Decodes and preprocesses encoded image bytes (JPEG, PNG, WebP, ...) as the model's preprocessor config says.
   * Throws AppError INVALID_IMAGE or PAYLOAD_TOO_LARGE.
   */
  preprocessImage(bytes: Uint8Array): Promise<PixelValues>;
  /** L2-normalised image embeddings of preprocessed images, one per input, in order. */
  encodePixels(pixels: PixelValues[]): Promise<Float32Array[]>;
  /** preprocessImage + encodePixels for convenience. */
  encodeImages(images: Uint8Array[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}
