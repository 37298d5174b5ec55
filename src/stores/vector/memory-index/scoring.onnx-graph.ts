// The two ONNX graphs the in-memory index scores with, written as protobuf bytes here (a few dozen bytes each)
// rather than shipped as binary files: ONNX Runtime's matrix-vector product (MLAS, SIMD) measured about twice as
// fast as a plain JS loop or simsimd's per-pair calls on this machine (see src/bench/scoring.ts).
//   full:   scores[n, 1] = MatMul(matrix[n, d], query[d, 1])
//   subset: scores[c, 1] = MatMul(Gather(matrix[n, d], rows[c] int32), query[d, 1])
// Only the fields ONNX Runtime needs are written (onnx.proto3: ModelProto, GraphProto, NodeProto, ValueInfoProto).

const ELEM_FLOAT = 1;
const ELEM_INT32 = 6;

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** A varint field (wire type 0). */
const int = (field: number, value: number) => [...varint(field << 3), ...varint(value)];
/** A length-delimited field (wire type 2): bytes, a string or a nested message. */
const bytes = (field: number, payload: number[]) => [...varint((field << 3) | 2), ...varint(payload.length), ...payload];
const str = (field: number, s: string) => bytes(field, [...Buffer.from(s, 'utf8')]);

/** ValueInfoProto of a tensor; a string dim is symbolic (dim_param), a number fixed (dim_value). */
function tensorInfo(name: string, elemType: number, dims: (number | string)[]): number[] {
  const shape = dims.flatMap((d) => bytes(1, typeof d === 'number' ? int(1, d) : str(2, d)));
  const tensorType = [...int(1, elemType), ...bytes(2, shape)];
  return [...str(1, name), ...bytes(2, bytes(1, tensorType))];
}

function node(op: string, inputs: string[], outputs: string[]): number[] {
  return [...inputs.flatMap((i) => str(1, i)), ...outputs.flatMap((o) => str(2, o)), ...str(3, `${op.toLowerCase()}_node`), ...str(4, op)];
}

function model(graph: number[]): Uint8Array {
  // IR version 8 with opset 13: both ops have existed unchanged since, so any ONNX Runtime 1.x runs it.
  return Uint8Array.from([...int(1, 8), ...str(2, 'vitrine'), ...bytes(7, graph), ...bytes(8, int(2, 13))]);
}

/** scores = matrix x query for every row: inputs `matrix` [n, dim] and `query` [dim, 1], output `scores` [n, 1]. */
export function fullScoringGraph(dim: number): Uint8Array {
  return model([
    ...bytes(1, node('MatMul', ['matrix', 'query'], ['scores'])),
    ...str(2, 'score_all'),
    ...bytes(11, tensorInfo('matrix', ELEM_FLOAT, ['n', dim])),
    ...bytes(11, tensorInfo('query', ELEM_FLOAT, [dim, 1])),
    ...bytes(12, tensorInfo('scores', ELEM_FLOAT, ['n', 1])),
  ]);
}

/** scores of the given rows only: inputs `matrix` [n, dim], `rows` [c] int32, `query` [dim, 1]; output [c, 1]. */
export function subsetScoringGraph(dim: number): Uint8Array {
  return model([
    ...bytes(1, node('Gather', ['matrix', 'rows'], ['picked'])),
    ...bytes(1, node('MatMul', ['picked', 'query'], ['scores'])),
    ...str(2, 'score_rows'),
    ...bytes(11, tensorInfo('matrix', ELEM_FLOAT, ['n', dim])),
    ...bytes(11, tensorInfo('rows', ELEM_INT32, ['c'])),
    ...bytes(11, tensorInfo('query', ELEM_FLOAT, [dim, 1])),
    ...bytes(12, tensorInfo('scores', ELEM_FLOAT, ['c', 1])),
  ]);
}
