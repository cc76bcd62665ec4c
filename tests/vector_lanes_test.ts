/**
 * The wasm renderer's float64 and bool vector loops: float64 lanes as two f64x2 registers, and
 * bools 16 bytes at a time in the wide loop (four fours of lane masks narrowed into one store,
 * one load widened into four). Every operation of a one-op kernel at float64 (and every one
 * giving or taking bools) equals ref bit for bit and the eager kernel, over float64's corners
 * (NaN, infinities, zeros of both signs, subnormals, the extremes) at lengths that run the wide
 * loop, the four-lane loop and the scalar tail in every combination. Every prebuilt eager
 * elementwise kernel (rendered from the IR: kernels/wasm/eager_elementwise.ts) computes any
 * range `[lo, hi)` (the split points of threads) as it computes the whole, writes nothing
 * outside it, and equals ref where its operation is exact.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Array, type ConcreteArray, type DType, jit, numpy as np, toBackend } from "../mod.ts";
import * as ew from "../core/primitives/elementwise.ts";
import { withDefaultBackend } from "../core/backend.ts";
import { jitCallCounts } from "../kernels/wasm/jit_executor.ts";
import { wasmRuntime } from "../kernels/wasm/runtime.ts";
import { eagerElementwiseKernels, type EagerKernel } from "../kernels/wasm/eager_elementwise.ts";
import { bind } from "../core/trace.ts";
import type { Primitive } from "../core/primitive.ts";
import { KERNEL_PRIMITIVES } from "../core/primitives/registry.ts";
import { BINARY_PRIMITIVE, COMPARE_PRIMITIVE, UNARY_PRIMITIVE } from "./util/ir_primitives.ts";

/** Lengths: scalar only, four-lane only, wide only, and each with tails. */
const LENGTHS = [3, 4, 7, 16, 17, 21, 35, 67];

/** Float64 corner cases every operation must treat as ref does. */
const F64_CORNERS = [
  NaN,
  Infinity,
  -Infinity,
  0,
  -0,
  5e-324,
  -5e-324,
  2.2250738585072014e-308,
  -1e-310,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  0.5,
  -1.5,
  2.5,
  1,
  -1,
  3e9,
  -3e9,
  2 ** 31,
  -(2 ** 31),
];

/** `n` values of `d`: float64's corners mixed with random values (seeded), in a shuffled order. */
function values(d: DType, n: number, seed: number): number[] {
  if (d === "bool") return fc.sample(fc.boolean(), { numRuns: n, seed }).map(Number);
  if (d === "int32") return fc.sample(fc.integer(), { numRuns: n, seed });
  const random = fc.sample(
    fc.oneof(fc.double(), fc.constantFrom(...F64_CORNERS)),
    { numRuns: n, seed },
  );
  return random.map((v, i) => (i % 3 === 0 ? F64_CORNERS[(i + seed) % F64_CORNERS.length] : v));
}

/** The same number (NaN with NaN, -0 not 0). */
function assertSame(got: number[], want: number[], what: string): void {
  want.forEach((w, i) =>
    assert.ok(Object.is(got[i], w), `${what}: [${i}] is ${got[i]}, want ${w}`)
  );
}

const host = (a: Array) => globalThis.Array.from((a as ConcreteArray).dataSync(), Number);

/**
 * `f` at inputs of `dtypes` of every length: jitted on wasm (compiled, with a vector loop whose
 * source matches `pattern`) equals ref and the eager wasm kernels, bit for bit.
 */
function check(what: string, f: (...xs: Array[]) => Array, dtypes: DType[], pattern: RegExp) {
  const jitted = jit(f, { compile: "sync", backend: "wasm" });
  for (const n of LENGTHS) {
    const refs = dtypes.map((d, i) =>
      withDefaultBackend("ref", () => np.array(values(d, n, 7 * i + n), d))
    );
    const args = refs.map((a) => toBackend(a, "wasm"));
    if (n >= 16) {
      const source = jitted.lower(...args).compiled.assemblyscript;
      assert.match(source, pattern, `${what} [${n}]: no ${pattern} in\n${source}`);
    }
    const compiled = jitCallCounts.compiled;
    const got = host(jitted(...args));
    assert.equal(jitCallCounts.compiled, compiled + 1, `${what} ran compiled`);
    const want = host(withDefaultBackend("ref", () => f(...refs)));
    assertSame(got, want, `${what} [${n}] vs ref`);
    assertSame(got, host(f(...args)), `${what} [${n}] vs eager`);
  }
}

/** The wide loop's 16-byte bool store (and its four-lane f64x2 forms, for float64). */
const BOOL_STORE = /v128\.store\(out0 \+ \(i0\), i8x16\.neg\(i8x16\.narrow_i16x8_s/;
const BOOL_LOAD = /i8x16\.neg\(v128\.load\(in0 \+ \(i0\)\)\)/;

Deno.test("float64 unary and binary operations run f64x2 lanes and equal ref and eager", () => {
  for (const [op, f] of Object.entries(UNARY_PRIMITIVE)) {
    if (op !== "not") check(`${op} float64`, f, ["float64"], /f64x2\./);
  }
  for (const [op, f] of Object.entries(BINARY_PRIMITIVE)) {
    // (Bitwise operations and shifts take int32 and bools only.)
    if (!["rem", "and", "or", "xor", "shl", "shr", "shru"].includes(op)) {
      check(`${op} float64`, f, ["float64", "float64"], /f64x2\./);
    }
  }
});

Deno.test("comparisons store 16 bools at once and equal ref and eager", () => {
  for (const [op, f] of Object.entries(COMPARE_PRIMITIVE)) {
    for (const d of ["float64", "float32", "int32"] as const) {
      check(`${op} ${d}`, f, [d, d], BOOL_STORE);
    }
    if (op === "eq" || op === "ne") check(`${op} bool`, f, ["bool", "bool"], BOOL_LOAD);
  }
  for (const [op, f] of [["and", ew.and], ["or", ew.or]] as const) {
    check(`${op} bool`, f, ["bool", "bool"], BOOL_STORE);
  }
  check("not bool", ew.not, ["bool"], BOOL_LOAD);
});

Deno.test("select loads 16 predicates at once and equals ref and eager at every dtype", () => {
  for (const d of ["float64", "float32", "int32", "bool"] as const) {
    check(`select ${d}`, (p, a, b) => ew.select(p, a, b), ["bool", d, d], BOOL_LOAD);
  }
});

Deno.test("converts to and from float64 and bool run vector lanes and equal ref and eager", () => {
  const dtypes: DType[] = ["float64", "float32", "int32", "bool"];
  for (const from of dtypes) {
    for (const to of dtypes.filter((d) => d !== from)) {
      if (from !== "float64" && to !== "float64" && from !== "bool" && to !== "bool") continue;
      const pattern = to === "bool" ? BOOL_STORE : from === "bool" ? BOOL_LOAD : /f64x2\.|f64x2_/;
      check(`convert ${from} to ${to}`, (a) => ew.convert(a, to), [from], pattern);
    }
  }
});

/** The primitive each eager kernel applies, over its operands: its outputs. */
function primitiveOf(k: EagerKernel): (...xs: Array[]) => Array[] {
  if (k.name === "select_n") return (p, onFalse, onTrue) => [ew.select(p, onTrue, onFalse)];
  if (k.name === "convert_element_type") return (a) => [ew.convert(a, k.outs[0])];
  const prim = KERNEL_PRIMITIVES[k.name as keyof typeof KERNEL_PRIMITIVES] as Primitive;
  return (...xs) => bind(prim, xs, {});
}

/** Math functions: their IR definitions, not ref's bits. */
const MATH = /^(sin|cos|exp|log|log1p|expm1|tanh|logistic|erf|erf_inv|pow|atan2|asinh|acosh|cbrt)$/;

Deno.test("every prebuilt elementwise kernel computes any range [lo, hi) as the whole, and nothing outside it; exact ones equal ref", () => {
  const rt = wasmRuntime();
  const n = 70;
  const typed = (d: DType, xs: number[]) =>
    d === "bool"
      ? Uint8Array.from(xs)
      : d === "int32"
      ? Int32Array.from(xs)
      : d === "float32"
      ? Float32Array.from(xs)
      : Float64Array.from(xs);
  const sentinel = (d: DType) => (d === "bool" ? 7 : d === "int32" ? -777 : 1234.5);
  for (const k of eagerElementwiseKernels()) {
    const xs = k.inputs.map((d, i) => values(d, n, 5 * i + 1));
    const ins = k.inputs.map((d, i) => rt.fromHost(typed(d, xs[i]), d));
    /** Each output's elements after a run over `[lo, hi)`, one after the other. */
    const run = (lo: number, hi: number) => {
      const ys = k.outs.map((d) => rt.fromHost(typed(d, globalThis.Array(n).fill(sentinel(d))), d));
      rt.kernel(k.export, k.export)(...ins.map((b) => b.ptr), ...ys.map((y) => y.ptr), lo, hi);
      const got = ys.flatMap((y, j) => globalThis.Array.from(rt.toHost(y, k.outs[j], n), Number));
      ys.forEach((y) => rt.dispose(y));
      return got;
    };
    const whole = run(0, n);
    if (!MATH.test(k.name)) {
      const refs = k.inputs.map((d, i) => withDefaultBackend("ref", () => np.array(xs[i], d)));
      assertSame(whole, primitiveOf(k)(...refs).flatMap(host), `${k.export} vs ref`);
    }
    for (const [lo, hi] of [[1, n], [3, 52], [5, 21], [17, 18], [33, 69], [2, 2]]) {
      const expect = whole.map((w, i) =>
        i % n >= lo && i % n < hi ? w : sentinel(k.outs[Math.floor(i / n)])
      );
      assertSame(run(lo, hi), expect, `${k.export} over [${lo}, ${hi})`);
    }
    ins.forEach((b) => rt.dispose(b));
  }
});
