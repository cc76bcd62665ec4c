/**
 * Elementwise primitives on the wasm runtime: each unary and binary one maps to the prebuilt
 * kernel named `primitive_dtype` (`exp_f32`, `lt_i32`, `not_u8`), select to `select_n_dtype`
 * and dtype conversion to `convert_from_to`, all rendered from the kernel IR
 * (kernels/wasm/eager_elementwise.ts); the bit operations (xor, shifts, threefry2x32) are
 * hand-written (kernels/assembly/bits.ts) and bitcast views its operand's block.
 * @module
 */
import type { WasmRule } from "./rule.ts";
import { ELEMENT_BYTES, SUFFIX, type WasmRuntime } from "./runtime.ts";
import { splitRange } from "./split.ts";
import {
  BINARY_ELEMENTWISE,
  type BinaryElementwiseName,
  UNARY_ELEMENTWISE,
  type UnaryElementwiseName,
} from "../../core/primitives/elementwise.ts";
import { rulesFor } from "../rule_table.ts";

const WORD_BINARY = [
  "xor",
  "shift_left",
  "shift_right_logical",
  "shift_right_arithmetic",
] as const;

/**
 * Elements per split point: the bit kernels run whole 16-byte vectors past the end of their
 * range, so every range but the last ends on a vector boundary of the narrowest (1-byte)
 * operand; the IR's kernels then start their ranges on one too.
 */
const SPLIT_ALIGN = 16;

/**
 * Runs elementwise kernel `kernel` over `n` elements, split into contiguous ranges over the
 * threads when large: each operand is `[address, bytes per element]`. The kernel takes its
 * operands' addresses and then the range itself (`kernel(...operands, lo, hi)`, kernels rendered
 * from the IR) or, with `counted`, the range's count (`kernel(...operands, count)`, the
 * hand-written bit kernels).
 */
function launch(
  rt: WasmRuntime,
  kernel: string,
  op: string,
  operands: [number, number][],
  n: number,
  counted = false,
): void {
  const tasks = splitRange(n, n, rt.threads(), SPLIT_ALIGN).map(([lo, hi]) => ({
    kernel,
    args: counted
      ? [...operands.map(([ptr, bytes]) => ptr + lo * bytes), hi - lo]
      : [...operands.map(([ptr]) => ptr), lo, hi],
  }));
  rt.parallel(tasks, op);
}

function unary(name: string): WasmRule {
  return (rt, [x], [a], _, [out]) => {
    const o = rt.allocFor(out);
    const operands: [number, number][] = [
      [x.ptr, ELEMENT_BYTES[a.dtype]],
      [o.ptr, ELEMENT_BYTES[out.dtype]],
    ];
    launch(rt, `${name}_${SUFFIX[a.dtype]}`, name, operands, a.size);
    return [o];
  };
}

/** A binary primitive's rule; `counted` for the hand-written bit kernels. */
function binary(name: string, counted = false): WasmRule {
  return (rt, [x, y], [a], _, [out]) => {
    const o = rt.allocFor(out);
    const bytes = ELEMENT_BYTES[a.dtype];
    const operands: [number, number][] = [[x.ptr, bytes], [y.ptr, bytes], [
      o.ptr,
      ELEMENT_BYTES[out.dtype],
    ]];
    launch(rt, `${name}_${SUFFIX[a.dtype]}`, name, operands, a.size, counted);
    return [o];
  };
}

const selectN: WasmRule = (rt, [p, f, t], [pa], __, [out]) => {
  const o = rt.allocFor(out);
  const bytes = ELEMENT_BYTES[out.dtype];
  const operands: [number, number][] = [[p.ptr, ELEMENT_BYTES[pa.dtype]], [f.ptr, bytes], [
    t.ptr,
    bytes,
  ], [o.ptr, bytes]];
  launch(rt, `select_n_${SUFFIX[out.dtype]}`, "select_n", operands, out.size);
  return [o];
};

const convert: WasmRule = (rt, [x], [a], _, [out]) => {
  if (a.dtype === out.dtype) return [rt.share(x)];
  const o = rt.allocFor(out);
  const operands: [number, number][] = [[x.ptr, ELEMENT_BYTES[a.dtype]], [
    o.ptr,
    ELEMENT_BYTES[out.dtype],
  ]];
  launch(
    rt,
    `convert_${SUFFIX[a.dtype]}_${SUFFIX[out.dtype]}`,
    "convert_element_type",
    operands,
    out.size,
  );
  return [o];
};

/** int32 and float32 share their 4 bytes: the result views the same block. */
const bitcast: WasmRule = (rt, [x]) => [rt.share(x)];

const threefry: WasmRule = (rt, [k0, k1, x0, x1], _, __, [a, b]) => {
  const y0 = rt.allocFor(a), y1 = rt.allocFor(b);
  rt.kernel("threefry2x32", "threefry2x32")(k0.ptr, k1.ptr, x0.ptr, x1.ptr, y0.ptr, y1.ptr, a.size);
  return [y0, y1];
};

/** Rules of the elementwise primitives. */
export const elementwiseRules: Record<
  | UnaryElementwiseName
  | BinaryElementwiseName
  | typeof WORD_BINARY[number]
  | "select_n"
  | "convert_element_type"
  | "bitcast_convert_type"
  | "threefry2x32",
  WasmRule
> = {
  ...rulesFor(UNARY_ELEMENTWISE, unary),
  ...rulesFor(BINARY_ELEMENTWISE, (name) => binary(name)),
  ...rulesFor(WORD_BINARY, (name) => binary(name, true)),
  select_n: selectN,
  convert_element_type: convert,
  bitcast_convert_type: bitcast,
  threefry2x32: threefry,
};
