/**
 * Structural primitives as strided views: broadcast_in_dim, transpose, slice and rev each read
 * output element `i` at `offset + sum_d coord_d(i) * strides[d]` of their operand (strides may be
 * 0 or negative). Every backend gathers through this one table.
 * @module
 */
import type { ShapedArray } from "./aval.ts";
import type { Params } from "./primitive.ts";
import { stridesOf } from "./shape.ts";

/** Where an output element is read from: element strides over the output axes, and an offset. */
export interface StridedView {
  /** Element stride of each output axis in the operand. */
  strides: number[];
  /** Element offset of the first output element in the operand. */
  offset: number;
}

type ViewRule = (operand: ShapedArray, params: Params, out: ShapedArray) => StridedView;

/** The structural primitives that are strided gathers. */
export type StridedViewName = "broadcast_in_dim" | "transpose" | "slice" | "rev";

/** The view of each structural primitive that is a strided gather. */
export const STRIDED_VIEWS: Readonly<Record<StridedViewName, ViewRule>> = {
  broadcast_in_dim(a, { dims }, out) {
    const xs = stridesOf(a.shape);
    const strides = out.shape.map(() => 0);
    (dims as number[]).forEach((o, i) => (strides[o] = a.shape[i] === 1 ? 0 : xs[i]));
    return { strides, offset: 0 };
  },
  transpose(a, { permutation }) {
    const xs = stridesOf(a.shape);
    return { strides: (permutation as number[]).map((p) => xs[p]), offset: 0 };
  },
  slice(a, { start, strides }) {
    const xs = stridesOf(a.shape);
    const st = strides as number[];
    return {
      strides: xs.map((v, i) => v * st[i]),
      offset: (start as number[]).reduce((acc, v, i) => acc + v * xs[i], 0),
    };
  },
  rev(a, { dimensions }) {
    const xs = stridesOf(a.shape);
    const dims = dimensions as number[];
    let offset = 0;
    const strides = xs.map((v, i) => {
      if (!dims.includes(i)) return v;
      offset += (a.shape[i] - 1) * v;
      return -v;
    });
    return { strides, offset };
  },
};
