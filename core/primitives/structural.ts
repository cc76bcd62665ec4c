/**
 * Structural primitives: they move elements without computing on them, so each is linear, its
 * jvp applies it to the tangent, and its transpose moves cotangents back.
 * broadcast_in_dim, reshape, transpose, concatenate, pad, slice, rev.
 * @module
 */
import type { Array } from "../array.ts";
import { ShapedArray } from "../aval.ts";
import { castScalar } from "../dtype.ts";
import { AdjointError } from "../errors.ts";
import { type Params, Primitive, UndefPrimal } from "../primitive.ts";
import { range, type Shape, shapeStr, sizeOf } from "../shape.ts";
import { bind, bind1 } from "../trace.ts";
import { moveAxis, moveBatchAxis } from "./batching.ts";
import { zerosLike } from "./constants.ts";
import { reduceSum } from "./reductions.ts";

/** Params of broadcast_in_dim: the output shape, and the output axis of each operand axis. */
export type BroadcastInDimParams = { shape: number[]; dims: number[] };
/** Params of reshape: the output shape. */
export type ReshapeParams = { shape: number[] };
/** Params of transpose: output axis `i` is operand axis `permutation[i]`. */
export type TransposeParams = { permutation: number[] };
/** Params of concatenate: the axis joined along. */
export type ConcatenateParams = { dimension: number };
/** Params of pad: low, high and interior padding per axis, and the padding value. */
export type PadParams = { lo: number[]; hi: number[]; interior: number[]; value: number };
/** Params of slice: start and limit per axis, and the step. */
export type SliceParams = { start: number[]; limit: number[]; strides: number[] };
/** Params of rev: the axes reversed. */
export type RevParams = { dimensions: number[] };

/** Jvp rule of a single-input linear primitive: apply it to the tangent too. */
function linearJvp(prim: Primitive) {
  return (
    primals: Array[],
    tangents: (Array | null)[],
    params: Params,
  ): [Array[], (Array | null)[]] => [
    bind(prim, primals, params),
    [tangents[0] === null ? null : bind1(prim, [tangents[0]], params)],
  ];
}

function check(op: string, ok: boolean, detail: () => string): void {
  if (!ok) throw new AdjointError(op, detail());
}

// ---------------------------------------------------------------- broadcast_in_dim

/** Broadcasts `x` to `shape`; operand axis i becomes output axis `dims[i]`. */
export const broadcastInDimP: Primitive<"broadcast_in_dim", BroadcastInDimParams> = new Primitive(
  "broadcast_in_dim",
  { expanding: true },
);
broadcastInDimP.shape = ([x], { shape, dims }) => {
  const s = shape, d = dims;
  check(
    "broadcast_in_dim",
    d.length === x.ndim &&
      d.every((o, i) => o >= 0 && o < s.length && (i === 0 || o > d[i - 1])) &&
      x.shape.every((n, i) => n === 1 || n === s[d[i]]),
    () => `cannot broadcast ${x} to ${shapeStr(s)} with dims ${shapeStr(d)}`,
  );
  return [new ShapedArray(s, x.dtype)];
};
broadcastInDimP.jvp = linearJvp(broadcastInDimP);
broadcastInDimP.transpose = ([ct], [x], { shape, dims }) => {
  if (ct === null) return [null];
  const opShape = (x as UndefPrimal).aval.shape;
  const d = dims;
  const summed = range(shape.length).filter((o) => !d.includes(o));
  const expanded = d.filter((o, i) => opShape[i] === 1 && shape[o] !== 1);
  const axes = [...summed, ...expanded].sort((a, b) => a - b);
  return [reshape(reduceSum(ct, axes), opShape)];
};
broadcastInDimP.batch = (axisSize, [x], [bd], { shape, dims }) => [
  [broadcastInDim(moveBatchAxis(x, bd, 0, axisSize), [axisSize, ...shape], [
    0,
    ...dims.map((d) => d + 1),
  ])],
  [0],
];

/** lax.broadcast_in_dim. */
export function broadcastInDim(x: Array, shape: Shape, dims: readonly number[]): Array {
  if (dims.length === shape.length && x.shape.every((n, i) => n === shape[i])) return x;
  return bind1(broadcastInDimP, [x], { shape: [...shape], dims: [...dims] });
}

/** Broadcasts `x` to `shape` with NumPy's rules (trailing axes aligned). */
export function broadcastTo(x: Array, shape: Shape): Array {
  const offset = shape.length - x.ndim;
  return broadcastInDim(x, shape, range(x.ndim).map((i) => i + offset));
}

// ---------------------------------------------------------------- reshape

/** Same elements in row-major order, new shape. */
export const reshapeP: Primitive<"reshape", ReshapeParams> = new Primitive("reshape");
reshapeP.shape = ([x], { shape }) => {
  const s = shape;
  check(
    "reshape",
    sizeOf(s) === x.size && s.every((d) => Number.isInteger(d) && d >= 0),
    () => `cannot reshape ${x} (size ${x.size}) to ${shapeStr(s)} (size ${sizeOf(s)})`,
  );
  return [new ShapedArray(s, x.dtype)];
};
reshapeP.jvp = linearJvp(reshapeP);
reshapeP.transpose = ([ct], [x]) => [ct && reshape(ct, (x as UndefPrimal).aval.shape)];
reshapeP.batch = (axisSize, [x], [bd], { shape }) => [
  [reshape(moveBatchAxis(x, bd, 0, axisSize), [axisSize, ...shape])],
  [0],
];

/** lax.reshape (no -1 inference; the numpy layer does that). */
export function reshape(x: Array, shape: Shape): Array {
  if (x.ndim === shape.length && x.shape.every((d, i) => d === shape[i])) return x;
  return bind1(reshapeP, [x], { shape: [...shape] });
}

// ---------------------------------------------------------------- transpose

/** Permutes axes: output axis i is input axis `permutation[i]`. */
export const transposeP: Primitive<"transpose", TransposeParams> = new Primitive("transpose");
transposeP.shape = ([x], { permutation }) => {
  const p = permutation;
  check(
    "transpose",
    p.length === x.ndim && [...p].sort((a, b) => a - b).every((v, i) => v === i),
    () => `permutation ${shapeStr(p)} is not a permutation of the axes of ${x}`,
  );
  return [new ShapedArray(p.map((i) => x.shape[i]), x.dtype)];
};
transposeP.jvp = linearJvp(transposeP);
transposeP.transpose = ([ct], _, { permutation }) => {
  if (ct === null) return [null];
  const p = permutation;
  const inv = range(p.length);
  p.forEach((src, i) => (inv[src] = i));
  return [transpose(ct, inv)];
};
transposeP.batch = (axisSize, [x], [bd], { permutation }) => [
  [transpose(moveBatchAxis(x, bd, 0, axisSize), [
    0,
    ...permutation.map((d) => d + 1),
  ])],
  [0],
];

/** lax.transpose. */
export function transpose(x: Array, permutation: readonly number[]): Array {
  if (permutation.every((p, i) => p === i)) return x;
  return bind1(transposeP, [x], { permutation: [...permutation] });
}

// ---------------------------------------------------------------- concatenate

/** Joins arrays along an existing axis. */
export const concatenateP: Primitive<"concatenate", ConcatenateParams> = new Primitive(
  "concatenate",
);
concatenateP.shape = (xs, { dimension }) => {
  const d = dimension;
  const first = xs[0];
  check(
    "concatenate",
    xs.length > 0 && xs.every((x) =>
      x.dtype === first.dtype && x.ndim === first.ndim &&
      x.shape.every((n, i) => i === d || n === first.shape[i])
    ) && d >= 0 && d < first.ndim,
    () =>
      `expected arrays of one dtype whose shapes agree except along axis ${d}, got ${
        xs.join(", ")
      }`,
  );
  const shape = [...first.shape];
  shape[d] = xs.reduce((acc, x) => acc + x.shape[d], 0);
  return [new ShapedArray(shape, first.dtype)];
};
concatenateP.jvp = (primals, tangents, params) => [
  bind(concatenateP, primals, params),
  [
    tangents.every((t) => t === null)
      ? null
      : bind1(concatenateP, tangents.map((t, i) => t ?? zerosLike(primals[i])), params),
  ],
];
concatenateP.transpose = ([ct], args, { dimension }) => {
  const d = dimension;
  let offset = 0;
  return args.map((x) => {
    const n = x.aval.shape[d];
    const start = x.aval.shape.map(() => 0);
    start[d] = offset;
    const limit = [...x.aval.shape];
    limit[d] = offset + n;
    offset += n;
    return x instanceof UndefPrimal && ct !== null ? slice(ct, start, limit) : null;
  });
};
concatenateP.batch = (axisSize, xs, dims, { dimension }) => [
  [concatenate(
    xs.map((x, i) => moveBatchAxis(x, dims[i], 0, axisSize)),
    dimension + 1,
  )],
  [0],
];

/** lax.concatenate. */
export function concatenate(xs: Array[], dimension: number): Array {
  if (xs.length === 1) return xs[0];
  return bind1(concatenateP, xs, { dimension });
}

// ---------------------------------------------------------------- pad

/** Pads with a constant: `lo`/`hi` elements at each end (negative crops), `interior` between. */
export const padP: Primitive<"pad", PadParams> = new Primitive("pad", { expanding: true });
padP.shape = ([x], { lo, hi, interior }) => {
  const l = lo, h = hi, it = interior;
  check(
    "pad",
    l.length === x.ndim && h.length === x.ndim && it.length === x.ndim && it.every((v) => v >= 0),
    () => `padding config of length ${l.length} for ${x}; expected one (lo, hi, interior) per axis`,
  );
  const shape = x.shape.map((d, i) => l[i] + h[i] + d + Math.max(0, d - 1) * it[i]);
  check("pad", shape.every((d) => d >= 0), () => `padding of ${x} gives negative size`);
  return [new ShapedArray(shape, x.dtype)];
};
padP.jvp = (primals, tangents, params) => [
  bind(padP, primals, params),
  [tangents[0] && bind1(padP, [tangents[0]], { ...params, value: 0 })],
];
padP.transpose = ([ct], _, { lo, hi, interior }) => {
  if (ct === null) return [null];
  const l = lo, h = hi, it = interior;
  const unpadded = pad(ct, l.map((v) => -v), h.map((v) => -v), l.map(() => 0), 0);
  return [slice(unpadded, l.map(() => 0), unpadded.shape, it.map((v) => v + 1))];
};
padP.batch = (axisSize, [x], [bd], { lo, hi, interior, value }) => [
  [pad(
    moveBatchAxis(x, bd, 0, axisSize),
    [0, ...lo],
    [0, ...hi],
    [0, ...interior],
    value,
  )],
  [0],
];

/** lax.pad with a scalar padding value, held as an element of x's dtype (`castScalar`). */
export function pad(
  x: Array,
  lo: readonly number[],
  hi: readonly number[],
  interior: readonly number[],
  value = 0,
): Array {
  if ([...lo, ...hi, ...interior].every((v) => v === 0)) return x;
  const params = { lo: [...lo], hi: [...hi], interior: [...interior] };
  return bind1(padP, [x], { ...params, value: castScalar(value, x.dtype) });
}

// ---------------------------------------------------------------- slice

/** A strided rectangular window: `start <= i < limit` in steps of `strides` on each axis. */
export const sliceP: Primitive<"slice", SliceParams> = new Primitive("slice");
sliceP.shape = ([x], { start, limit, strides }) => {
  const s = start, l = limit, st = strides;
  check(
    "slice",
    s.length === x.ndim && l.length === x.ndim && st.length === x.ndim &&
      s.every((v, i) => v >= 0 && v <= l[i] && l[i] <= x.shape[i] && st[i] >= 1),
    () =>
      `start ${shapeStr(s)}, limit ${shapeStr(l)}, strides ${
        shapeStr(st)
      } do not fit ${x}; expected 0 <= start <= limit <= shape and strides >= 1`,
  );
  return [new ShapedArray(s.map((v, i) => Math.ceil((l[i] - v) / st[i])), x.dtype)];
};
sliceP.jvp = linearJvp(sliceP);
sliceP.transpose = ([ct], [x], { start, strides }) => {
  if (ct === null) return [null];
  const shape = (x as UndefPrimal).aval.shape;
  const s = start, st = strides;
  const realLimit = ct.shape.map((n, i) => (n === 0 ? s[i] : s[i] + 1 + (n - 1) * st[i]));
  return [pad(ct, s, shape.map((d, i) => d - realLimit[i]), st.map((v) => v - 1), 0)];
};
sliceP.batch = (axisSize, [x], [bd], { start, limit, strides }) => [
  [slice(
    moveBatchAxis(x, bd, 0, axisSize),
    [0, ...start],
    [axisSize, ...limit],
    [1, ...strides],
  )],
  [0],
];

/** lax.slice. */
export function slice(
  x: Array,
  start: readonly number[],
  limit: readonly number[],
  strides?: readonly number[],
): Array {
  const st = strides ? [...strides] : start.map(() => 1);
  if (start.every((v, i) => v === 0 && limit[i] === x.shape[i] && st[i] === 1)) return x;
  return bind1(sliceP, [x], { start: [...start], limit: [...limit], strides: st });
}

// ---------------------------------------------------------------- rev

/** Reverses the order of elements along `dimensions`. */
export const revP: Primitive<"rev", RevParams> = new Primitive("rev");
revP.shape = ([x], { dimensions }) => {
  check(
    "rev",
    dimensions.every((d) => d >= 0 && d < x.ndim),
    () => `dimensions ${shapeStr(dimensions)} out of range for ${x}`,
  );
  return [x];
};
revP.jvp = linearJvp(revP);
revP.transpose = ([ct], _, params) => [ct && bind1(revP, [ct], params)];
revP.batch = (_, [x], [bd], { dimensions }) => [
  [rev(x, dimensions.map((d) => (d >= bd! ? d + 1 : d)))],
  [bd],
];

/** lax.rev. */
export function rev(x: Array, dimensions: readonly number[]): Array {
  if (dimensions.length === 0) return x;
  return bind1(revP, [x], { dimensions: [...dimensions] });
}

/** Moves one axis (re-exported for the numpy layer). */
export { moveAxis };
