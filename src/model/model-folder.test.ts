import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.js';
import { readCalibration } from './model-folder.js';

describe('readCalibration', () => {
  it('reads vitrine.calibration.text / .image and ignores the fitting report around them', () => {
    const config = { vitrine: { calibration: { fitted_on: 'val', text: { scale: 18.5, bias: -10.2, positives: 9 }, image: { scale: 30, bias: -25 } } } };
    expect(readCalibration(config)).toEqual({ text: { scale: 18.5, bias: -10.2 }, image: { scale: 30, bias: -25 } });
  });
  it('is undefined for Hugging Face configs and for a calibration of neither kind', () => {
    expect(readCalibration({ model_type: 'clip' })).toBeUndefined();
    expect(readCalibration({ vitrine: { architecture: 'x' } })).toBeUndefined();
    expect(readCalibration({ vitrine: { calibration: { fitted_on: 'val' } } })).toBeUndefined();
    expect(readCalibration({ vitrine: { calibration: { image: { scale: 2, bias: 0 } } } })).toEqual({ image: { scale: 2, bias: 0 } });
  });
  it('refuses a calibration the runtime cannot apply', () => {
    expect(() => readCalibration({ vitrine: { calibration: { text: { scale: -1, bias: 0 } } } })).toThrow(AppError);
    expect(() => readCalibration({ vitrine: { calibration: { text: { scale: 'big', bias: 0 } } } })).toThrow(/scale/);
    expect(() => readCalibration({ vitrine: { calibration: 3 } })).toThrow(/must be an object/);
  });
});
