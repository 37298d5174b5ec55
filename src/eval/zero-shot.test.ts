import { describe, expect, it } from 'vitest';
import { classEmbeddings, classificationReport, nearestClass, parseLabelsCsv, promptTexts } from './zero-shot.js';

const v = (...xs: number[]) => Float32Array.from(xs);

describe('zero-shot', () => {
  it('builds label-major prompt texts', () => {
    expect(promptTexts(['cat', 'dog'], ['a {}', 'the {}'])).toEqual(['a cat', 'the cat', 'a dog', 'the dog']);
    expect(promptTexts(['cat'], [])).toEqual(['cat']);
  });

  it('averages templates per class and re-normalises', () => {
    const classes = classEmbeddings(2, 2, [v(1, 0), v(0, 1), v(0, 1), v(0, 1)]);
    expect(Array.from(classes[0])).toEqual([Math.SQRT1_2, Math.SQRT1_2].map(Math.fround));
    expect(Array.from(classes[1])).toEqual([0, 1]);
    expect(() => classEmbeddings(2, 2, [v(1, 0)])).toThrow(RangeError);
  });

  it('picks the nearest class, lower index on ties', () => {
    expect(nearestClass([v(1, 0), v(0, 1), v(Math.SQRT1_2, Math.SQRT1_2)], [v(1, 0), v(0, 1)])).toEqual([0, 1, 0]);
  });

  it('accuracy, macro-F1 and confusion matrix by hand', () => {
    // truth:     a a a b b c
    // predicted: a a b b c c
    const report = classificationReport(['a', 'b', 'c'], [0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2]);
    expect(report.confusion).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    expect(report.accuracy).toBeCloseTo(4 / 6, 12);
    // a: P=1, R=2/3, F1=0.8; b: P=1/2, R=1/2, F1=0.5; c: P=1/2, R=1, F1=2/3
    expect(report.perClass.map((c) => c.f1)).toEqual([0.8, 0.5, 2 / 3].map((x) => expect.closeTo(x, 12)));
    expect(report.macroF1).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 12);
  });

  it('a class never predicted has F1 0; no samples gives null', () => {
    const report = classificationReport(['a', 'b'], [0, 1], [0, 0]);
    expect(report.perClass[1]).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 1 });
    expect(classificationReport(['a'], [], []).accuracy).toBeNull();
  });

  it('parses file,label CSV with optional header and quotes', () => {
    expect(parseLabelsCsv('file,label\na.png,red\n"b,1.png","dark blue"\n\n')).toEqual([
      { file: 'a.png', label: 'red' },
      { file: 'b,1.png', label: 'dark blue' },
    ]);
    expect(parseLabelsCsv('a.png,red')).toEqual([{ file: 'a.png', label: 'red' }]);
    expect(() => parseLabelsCsv('a.png')).toThrow(RangeError);
  });
});
