/**
 * Elementwise primitives on the wasm runtime: each unary and binary one (the int32 word
 * operations xor and the shifts too) maps to the prebuilt kernel named `primitive_dtype`
 * (`exp_f32`, `lt_i32`, `xor_i32`), threefry2x32 to `threefry2x32_i32`, select to
 * `select_n_dtype` and dtype conversion to `convert_from_to`, all rendered from the kernel IR
 * (kernels/wasm/eager_elementwise.ts); bitcast views its operand's block.
 * @module
 */
import type { WasmRule } from "./rule.ts";
import { SUFFIX, type WasmRuntime } from "./runtime.ts";
import { splitRange } from "./split.ts";
import { WORD_BINARY } from "../../core/primitives/bits.ts";
import { BINARY_ELEMENTWISE, UNARY_ELEMENTWISE } from "../../core/primitives/elementwise.ts";
import type { KernelLoweredName } from "../lowering/lower_elementwise.ts";
import { rulesFor } from "../rule_table.ts";

/**
 * Elements per split point: every range but the last ends on a vector boundary of the
 * narrowest (1-byte) operand, so the kernels' ranges start on one too.
 */
const SPLIT_ALIGN = 16;

/**
 * Runs elementwise kernel `kernel` over `n` elements, split into contiguous ranges over the
 * threads when large: it takes its operands' addresses (`operands`, outputs last) and then the
 * range itself (`kernel(...operands, lo, hi)`).
 */
function launch(rt: WasmRuntime, kernel: string, op: string, operands: number[], n: number): void {
  const tasks = splitRange(n, n, rt.threads(), SPLIT_ALIGN).map(([lo, hi]) => ({
    kernel,
    args: [...operands, lo, hi],
  }));
  rt.parallel(tasks, op);
}

/**
 * The rule of elementwise primitive `name`: its prebuilt kernel, named for it and its first
 * operand's dtype, over new outputs.
 */
function lowered(name: string): WasmRule {
  return (rt, inputs, [a], _, outs) => {
    const results = outs.map((out) => rt.allocFor(out));
    const operands = [...inputs, ...results].map((b) => b.ptr);
    launch(rt, `${name}_${SUFFIX[a.dtype]}`, name, operands, outs[0].size);
    return results;
  };
}

const selectN: WasmRule = (rt, inputs, _, __, [out]) => {
  const o = rt.allocFor(out);
  const operands = [...inputs, o].map((b) => b.ptr);
  launch(rt, `select_n_${SUFFIX[out.dtype]}`, "select_n", operands, out.size);
  return [o];
};

const convert: WasmRule = (rt, [x], [a], _, [out]) => {
  if (a.dtype === out.dtype) return [rt.share(x)];
  const o = rt.allocFor(out);
  launch(
    rt,
    `convert_${SUFFIX[a.dtype]}_${SUFFIX[out.dtype]}`,
    "convert_element_type",
    [x.ptr, o.ptr],
    out.size,
  );
  return [o];
};

/** int32 and float32 share their 4 bytes: the result views the same block. */
const bitcast: WasmRule = (rt, [x]) => [rt.share(x)];

/** Rules of the elementwise primitives. */
export const elementwiseRules: Record<KernelLoweredName, WasmRule> = {
  ...rulesFor([...UNARY_ELEMENTWISE, ...BINARY_ELEMENTWISE, ...WORD_BINARY], lowered),
  select_n: selectN,
  convert_element_type: convert,
  bitcast_convert_type: bitcast,
  threefry2x32: lowered("threefry2x32"),
};
