/**
 * Structural primitives as strided views: broadcast_in_dim, transpose, slice and rev each read
 * output element `i` at `offset + sum_d coord_d(i) * strides[d]` of their operand (strides may be
 * 0 or negative). Every backend gathers through this one table.
 * @module
 */
import type { ShapedArray } from "./aval.ts";
import type { Params } from "./primitive.ts";
import type {
  BroadcastInDimParams,
  RevParams,
  SliceParams,
  TransposeParams,
} from "./primitives/structural.ts";
import { stridesOf } from "./shape.ts";

/** Where an output element is read from: element strides over the output axes, and an offset. */
export interface StridedView {
  /** Element stride of each output axis in the operand. */
  strides: number[];
  /** Element offset of the first output element in the operand. */
  offset: number;
}

/** The operand read in place: contiguous strides over its axes, no offset. */
export function contiguousView(operand: ShapedArray): StridedView {
  return { strides: stridesOf(operand.shape), offset: 0 };
}

/**
 * The view of a structural primitive with params `P` over `operand`, itself read through `at`
 * (its strides over the operand's axes and offset; default: the operand in place), so that a
 * view of a view reads the first operand's memory directly. A method type, so that a rule typed
 * at its primitive's params is a rule over any params.
 */
export type ViewRule<P extends Params> = {
  rule(operand: ShapedArray, params: P, out: ShapedArray, at?: StridedView): StridedView;
}["rule"];

/**
 * The views that read other elements of their operand than the one at each point's own index
 * (every strided view but a broadcast).
 */
export const MOVING_VIEWS: ReadonlySet<string> = new Set(["transpose", "slice", "rev"]);

/** The structural primitives that are strided gathers. */
export type StridedViewName = "broadcast_in_dim" | "transpose" | "slice" | "rev";

/** The view of each structural primitive that is a strided gather. */
export const STRIDED_VIEWS: {
  readonly broadcast_in_dim: ViewRule<BroadcastInDimParams>;
  readonly transpose: ViewRule<TransposeParams>;
  readonly slice: ViewRule<SliceParams>;
  readonly rev: ViewRule<RevParams>;
} = {
  broadcast_in_dim(a, { dims }, out, at = contiguousView(a)) {
    const strides = out.shape.map(() => 0);
    dims.forEach((o, i) => (strides[o] = a.shape[i] === 1 ? 0 : at.strides[i]));
    return { strides, offset: at.offset };
  },
  transpose(a, { permutation }, _, at = contiguousView(a)) {
    return { strides: permutation.map((p) => at.strides[p]), offset: at.offset };
  },
  slice(a, { start, strides }, _, at = contiguousView(a)) {
    return {
      strides: at.strides.map((v, i) => v * strides[i]),
      offset: start.reduce((acc, v, i) => acc + v * at.strides[i], at.offset),
    };
  },
  rev(a, { dimensions }, _, at = contiguousView(a)) {
    let offset = at.offset;
    const strides = at.strides.map((v, i) => {
      if (!dimensions.includes(i)) return v;
      offset += (a.shape[i] - 1) * v;
      return -v;
    });
    return { strides, offset };
  },
};
