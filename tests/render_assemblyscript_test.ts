/**
 * The AssemblyScript renderer, operation by operation: for every IR operation (unary, binary,
 * comparison, math function, select, convert) at every dtype its primitive takes, a program of
 * that one primitive jitted on wasm equals ref (bit for bit, math within its error, over zeros,
 * -1, halves, infinities, NaN and int32's extremes), and its kernel runs a vector loop exactly
 * where the renderer's table gives the operation a vector form at that dtype.
 */
import assert from "node:assert/strict";
import { type Array, type ConcreteArray, type DType, jit, numpy as np, toBackend } from "../mod.ts";
import * as ew from "../core/primitives/elementwise.ts";
import { withDefaultBackend } from "../core/backend.ts";
import { jitCallCounts } from "../kernels/wasm/jit_executor.ts";
import {
  BINARY_PRIMITIVE,
  COMPARE_PRIMITIVE,
  MATH_PRIMITIVE,
  UNARY_PRIMITIVE,
} from "./util/ir_primitives.ts";
import {
  BINARY_RENDERING,
  COMPARE_RENDERING,
  type Rendering,
  UNARY_RENDERING,
} from "../kernels/wasm/render_assemblyscript.ts";

const DTYPES: DType[] = ["float32", "float64", "int32", "bool"];
const SHAPE = [3, 9]; // a vector loop of two steps and a scalar remainder per row

/** Values of each dtype: specials, halves, zeros of both signs, -1 and int32's extremes. */
const VALUES: Record<DType, number[]> = {
  float32: [
    ...[-3, -2.5, -1.5, -1, -0.75, -0.5, -0.25, -0, 0, 0.25, 0.5, 0.75, 1, 1.5, 2.5, 3],
    ...[0.1, -0.1, 7.5, -7.5, 100, -100, Infinity, -Infinity, NaN, 0.999, -0.999],
  ],
  float64: [],
  int32: [
    ...[-7, -3, -2, -1, 0, 1, 2, 3, 7, -(2 ** 31), 2 ** 31 - 1, 5, -5, 10, -10, 4, -4],
    ...[6, -6, 9, -9, 11, 13, -13, 100, -100, 8],
  ],
  bool: globalThis.Array.from({ length: 27 }, (_, i) => (i % 3 === 0 ? 1 : 0)),
};
VALUES.float64 = VALUES.float32;

/** An array of `d` on ref: the values rotated by `shift` (so that pairs of operands differ). */
function input(d: DType, shift: number): Array {
  const v = VALUES[d];
  const values = v.map((_, i) => v[(i + shift) % v.length]);
  return withDefaultBackend("ref", () => np.array(values, d).reshape(SHAPE));
}

/** Whether `table`'s rendering gives operands of `d` a vector form. */
const vectorIn = (r: Rendering, d: DType) => r.vector[d] !== null;

/** Whether `f` traces at `args` (its primitive takes their dtypes). */
function accepts(f: (...xs: Array[]) => Array, args: Array[]): boolean {
  try {
    withDefaultBackend("ref", () => jit(f).lower(...args));
    return true;
  } catch {
    return false;
  }
}

/** Agreement: the same number (NaN with NaN, -0 not 0), or within `tol` relative. */
function assertAgrees(got: number[], want: number[], tol: number, what: string): void {
  got.forEach((g, i) => {
    const w = want[i];
    const ok = Object.is(g, w) || (tol > 0 && Math.abs(g - w) <= tol * Math.max(1, Math.abs(w)));
    assert.ok(ok, `${what}: element ${i} is ${g}, ref ${w}`);
  });
}

/**
 * Jits `f` on wasm at `args` (ref arrays); asserts that it compiled, ran a vector loop iff
 * `vector`, and agrees with ref within `tol`.
 */
function check(
  what: string,
  f: (...xs: Array[]) => Array,
  args: Array[],
  vector: boolean,
  tol = 0,
) {
  const jitted = jit(f, { compile: "sync", backend: "wasm" });
  const onWasm = args.map((a) => toBackend(a, "wasm"));
  const source = jitted.lower(...onWasm).compiled.assemblyscript;
  const kernel = source.slice(source.indexOf("export function k"));
  assert.equal(/i1 \+= 4/.test(kernel), vector, `${what}: vector loop ${!vector}\n${kernel}`);
  const compiled = jitCallCounts.compiled;
  const got = (jitted(...onWasm) as ConcreteArray).toArray() as number[][];
  assert.equal(jitCallCounts.compiled, compiled + 1, `${what} ran compiled`);
  const want = withDefaultBackend("ref", () => f(...args).toArray() as number[][]);
  assertAgrees(got.flat().map(Number), want.flat().map(Number), tol, what);
}

/** Relative error allowed for math functions (their IR definitions, against ref). */
const MATH_TOL: Record<DType, number> = { float32: 1e-5, float64: 1e-12, int32: 0, bool: 0 };

Deno.test("every unary, binary and comparison operation renders, vectorises as its table says, and equals ref", async (t) => {
  const tables: [string, Record<string, (...xs: Array[]) => Array>, Record<string, Rendering>][] = [
    ["unary", UNARY_PRIMITIVE, UNARY_RENDERING],
    ["binary", BINARY_PRIMITIVE, BINARY_RENDERING],
    ["compare", COMPARE_PRIMITIVE, COMPARE_RENDERING],
  ];
  for (const [kind, prims, rendering] of tables) {
    await t.step(kind, () => {
      for (const [op, f] of Object.entries(prims)) {
        for (const d of DTYPES) {
          const args = f.length === 1 ? [input(d, 0)] : [input(d, 0), input(d, 5)];
          if (!accepts(f, args)) continue;
          check(`${op} ${d}`, f, args, vectorIn(rendering[op], d));
        }
      }
    });
  }
});

Deno.test("every math function renders, vectorises and equals ref within its error", () => {
  for (const [fn, f] of Object.entries(MATH_PRIMITIVE)) {
    for (const d of ["float32", "float64"] as const) {
      const args = f.length === 1 ? [input(d, 0)] : [input(d, 0), input(d, 5)];
      // Math, float32 and float64, is IR definitions, which vectorise as their operations do
      // (all have vector forms).
      check(`${fn} ${d}`, f, args, true, MATH_TOL[d]);
    }
  }
});

Deno.test("select at every dtype and convert between every pair render, vectorise and equal ref", () => {
  for (const d of DTYPES) {
    const cond = input("bool", 1);
    check(
      `select ${d}`,
      (c, a, b) => ew.select(c, a, b),
      [cond, input(d, 0), input(d, 5)],
      true,
    );
    for (const to of DTYPES.filter((x) => x !== d)) {
      check(
        `convert ${d} to ${to}`,
        (a) => ew.convert(a, to),
        [input(d, 0)],
        true,
      );
    }
  }
});

Deno.test("float32 to int32 saturates (NaN to 0) alike in the vector loop, the scalar one and the eager kernel", () => {
  const row = [NaN, Infinity, -Infinity, 3e9, -3e9, 2.7, -2.7, 2 ** 31, -(2 ** 31)];
  const x = toBackend(np.array([...row, ...row.reverse()], "float32").reshape([2, 9]), "wasm");
  const convert = (a: Array) => ew.convert(a, "int32");
  const jitted = jit(convert, { compile: "sync", backend: "wasm" });
  assert.match(jitted.lower(x).compiled.assemblyscript, /i32x4\.trunc_sat_f32x4_s/);
  assert.deepEqual(jitted(x).toArray(), convert(x).toArray());
});
