/**
 * Helpers for batching rules: moving and materialising batch axes, and the fallback rule that
 * batches any primitive by applying it once per batch element.
 * @module
 */
import type { Array } from "../array.ts";
import type { BatchRule, Params, Primitive } from "../primitive.ts";
import { range } from "../shape.ts";
import { bind } from "../trace.ts";
import { broadcastInDim, concatenate, reshape, slice, transpose } from "./structural.ts";

/** Moves axis `from` of `x` to position `to`. */
export function moveAxis(x: Array, from: number, to: number): Array {
  if (from === to) return x;
  const perm = range(x.ndim).filter((d) => d !== from);
  perm.splice(to, 0, from);
  return transpose(x, perm);
}

/** Puts the batch axis of `x` at `to`, broadcasting an unbatched value (`from` null). */
export function moveBatchAxis(
  x: Array,
  from: number | null,
  to: number,
  axisSize: number,
): Array {
  if (from !== null) return moveAxis(x, from, to);
  const shape = [...x.shape];
  shape.splice(to, 0, axisSize);
  const dims = range(x.ndim).map((d) => (d < to ? d : d + 1));
  return broadcastInDim(x, shape, dims);
}

/** Batching rule for primitives whose inputs all have the same shape: batch axis first. */
export function batchSameShape(prim: Primitive): BatchRule {
  return (axisSize, args, dims, params) => {
    const moved = args.map((x, i) => moveBatchAxis(x, dims[i], 0, axisSize));
    const outs = bind(prim, moved, params);
    return [outs, outs.map(() => 0)];
  };
}

/** Takes element `i` of axis `axis`, removing that axis. */
export function indexAxis(x: Array, axis: number, i: number): Array {
  const start = x.shape.map(() => 0);
  const limit = [...x.shape];
  start[axis] = i;
  limit[axis] = i + 1;
  const shape = x.shape.filter((_, d) => d !== axis);
  return reshape(slice(x, start, limit), shape);
}

/** Stacks equally shaped arrays along a new leading axis. */
export function stack0(xs: Array[]): Array {
  return concatenate(xs.map((x) => reshape(x, [1, ...x.shape])), 0);
}

/** Batches any primitive by looping over the batch and stacking the results. */
export function loopBatchRule(prim: Primitive): BatchRule {
  return (axisSize: number, args: Array[], dims: (number | null)[], params: Params) => {
    const perElement: Array[][] = [];
    for (let i = 0; i < axisSize; i++) {
      const sliced = args.map((x, j) => (dims[j] === null ? x : indexAxis(x, dims[j]!, i)));
      perElement.push(bind(prim, sliced, params));
    }
    const outs = perElement[0].map((_, k) => stack0(perElement.map((r) => r[k])));
    return [outs, outs.map(() => 0)];
  };
}
