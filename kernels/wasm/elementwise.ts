/**
 * Elementwise primitives on the wasm runtime: each maps to the prebuilt kernel named
 * `primitive_dtype` (`exp_f32`, `lt_i32`, `not_u8`), plus select, dtype conversion and the bit
 * operations (xor, shifts, bitcast, threefry2x32).
 * @module
 */
import type { WasmRule } from "./rule.ts";
import { ELEMENT_BYTES, SUFFIX } from "./runtime.ts";
import { BINARY_ELEMENTWISE, UNARY_ELEMENTWISE } from "../../core/primitives/elementwise.ts";

const WORD_BINARY = ["xor", "shift_left", "shift_right_logical", "shift_right_arithmetic"];

function unary(name: string): WasmRule {
  return (rt, [x], [a], _, [out]) => {
    const o = rt.allocFor(out);
    rt.kernel(`${name}_${SUFFIX[a.dtype]}`, name)(x.ptr, o.ptr, a.size);
    return [o];
  };
}

function binary(name: string): WasmRule {
  return (rt, [x, y], [a], _, [out]) => {
    const o = rt.allocFor(out);
    rt.kernel(`${name}_${SUFFIX[a.dtype]}`, name)(x.ptr, y.ptr, o.ptr, a.size);
    return [o];
  };
}

const selectN: WasmRule = (rt, [p, f, t], _, __, [out]) => {
  const o = rt.allocFor(out);
  rt.kernel(`select_${ELEMENT_BYTES[out.dtype]}`, "select_n")(p.ptr, f.ptr, t.ptr, o.ptr, out.size);
  return [o];
};

const convert: WasmRule = (rt, [x], [a], _, [out]) => {
  if (a.dtype === out.dtype) return [rt.share(x)];
  const o = rt.allocFor(out);
  rt.kernel(`convert_${SUFFIX[a.dtype]}_${SUFFIX[out.dtype]}`, "convert_element_type")(
    x.ptr,
    o.ptr,
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
export const elementwiseRules: Record<string, WasmRule> = {
  ...Object.fromEntries(UNARY_ELEMENTWISE.map((k) => [k, unary(k)])),
  ...Object.fromEntries([...BINARY_ELEMENTWISE, ...WORD_BINARY].map((k) => [k, binary(k)])),
  select_n: selectN,
  convert_element_type: convert,
  bitcast_convert_type: bitcast,
  threefry2x32: threefry,
};
