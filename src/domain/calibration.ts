// A model's score calibration: maps the cosine of a hit to a similarity a user can threshold, the same for every
// search mode (DECISIONS.md: `minScore` applies to `similarity`). Pure: numbers in, numbers out.
//
// Example (house model v2's text calibration, see models/house/MODEL_CARD.md):
//   calibratedSimilarity(0.62, { scale: 18.4, bias: -10.1 }); // ~0.81: likely a real match
//   calibratedSimilarity(0.31, { scale: 18.4, bias: -10.1 }); // ~0.01: "no close match"

/** similarity = 1 / (1 + exp(-(scale * cosine + bias))): a logistic curve fitted on val by the model's trainer. */
export interface ScoreCalibration {
  scale: number;
  bias: number;
}

/** One calibration per query kind: text queries and image queries score differently against the same photos. */
export interface ModelCalibration {
  text?: ScoreCalibration;
  image?: ScoreCalibration;
}

export type QueryKind = keyof ModelCalibration;

/**
 * The calibrated similarity of a hit, in (0, 1). Without a calibration (a plain Hugging Face model) it is the
 * cosine itself, so thresholds keep their old meaning for those models.
 */
export function calibratedSimilarity(cosine: number, calibration: ScoreCalibration | undefined): number {
  if (!calibration) return cosine;
  const z = calibration.scale * cosine + calibration.bias;
  // Two branches keep exp() from overflowing for large |z| (a cosine of -1 with a steep curve).
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/**
 * The cosine at which a hit reaches `similarity`: lets a store filter by cosine when a user gives `minScore` in
 * similarity units. Without a calibration the similarity is the cosine. Needs scale > 0 (a rising curve) and a
 * similarity strictly between 0 and 1 when calibrated.
 */
export function cosineForSimilarity(similarity: number, calibration: ScoreCalibration | undefined): number {
  if (!calibration) return similarity;
  if (!(calibration.scale > 0)) throw new RangeError('a calibration needs scale > 0');
  if (!(similarity > 0 && similarity < 1)) throw new RangeError(`a calibrated similarity lies strictly between 0 and 1, got ${similarity}`);
  return (Math.log(similarity / (1 - similarity)) - calibration.bias) / calibration.scale;
}
