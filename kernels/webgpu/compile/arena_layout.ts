/**
 * Placing a memory plan in one WebGPU buffer. The plan packs values at 16-byte offsets with
 * bools taking one byte; on the GPU every element is a 32-bit word, and a kernel can bind a range
 * of a buffer only at an offset that is a multiple of the device's
 * `minStorageBufferOffsetAlignment` (usually 256). So the plan's offsets are stretched: the
 * distinct start and end points of all planned ranges are mapped, in order, to aligned GPU
 * offsets at least as far apart (four times as far when bools are planned). An increasing map
 * keeps disjoint ranges disjoint and shared ranges shared, so the plan's reuse carries over, at a
 * cost of under one alignment unit per point.
 * @module
 */
import type { Var } from "../../../core/jaxpr.ts";
import { byteSize, type MemoryPlan } from "../../lowering/memory_plan.ts";

/** Byte offsets of planned values in the arena buffer. */
export interface ArenaLayout {
  /** GPU byte offset of each value the plan placed (aligned). */
  offsets: Map<Var, number>;
  /** Bytes the arena needs. */
  bytes: number;
}

/** The GPU layout of `plan` with every offset a multiple of `align`. */
export function arenaLayout(plan: MemoryPlan, align: number): ArenaLayout {
  const planned = [...plan.offsets];
  const scale = planned.some(([v]) => v.aval.dtype === "bool") ? 4 : 1;
  const points = [...new Set([0, ...planned.flatMap(([v, o]) => [o, o + byteSize(v)])])]
    .sort((a, b) => a - b);
  const gpuAt = new Map<number, number>([[0, 0]]);
  let at = 0;
  for (let i = 1; i < points.length; i++) {
    at = Math.ceil((at + (points[i] - points[i - 1]) * scale) / align) * align;
    gpuAt.set(points[i], at);
  }
  return { offsets: new Map(planned.map(([v, o]) => [v, gpuAt.get(o)!])), bytes: at };
}

/**
 * Spill slots for `values` (operands a shader cannot bind, copied into an arena around its
 * launch): each value's byte offset, from `start` on, every slot starting at a multiple of
 * `align`; and the end of the last slot.
 */
export function spillSlots<K>(
  values: readonly K[],
  bytes: (v: K) => number,
  start: number,
  align: number,
): { offsets: Map<K, number>; end: number } {
  const offsets = new Map<K, number>();
  let at = start;
  for (const v of values) {
    offsets.set(v, at);
    at = Math.ceil((at + bytes(v)) / align) * align;
  }
  return { offsets, end: at };
}
