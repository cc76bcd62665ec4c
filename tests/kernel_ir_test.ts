/**
 * The kernel IR: every elementwise primitive, at every dtype it accepts, lowers to a loop kernel
 * the verifier accepts; a fused chain lowers to the expression DAG its equations say (broadcasts
 * as stride-0 loads, a reduction as an accumulating store); and each verifier rule rejects the
 * malformed kernel it is for. any and all reduce bools by max and min.
 */
import assert from "node:assert/strict";
import { type Array, type DType, makeJaxpr, numpy as np } from "../mod.ts";
import * as ew from "../core/primitives/elementwise.ts";
import { withDefaultBackend } from "../core/backend.ts";
import { fuse } from "../kernels/lowering/fusion.ts";
import type { Expr, LoopKernel } from "../kernels/lowering/kernel_ir.ts";
import { loopKernelToString, reduceIdentity } from "../kernels/lowering/kernel_ir.ts";
import { lowerKernel } from "../kernels/lowering/lower_kernel.ts";
import { irProblems } from "../kernels/lowering/verify_ir.ts";

const DTYPES: DType[] = ["float32", "float64", "int32", "bool"];

/** The loop kernels of `f`'s fused kernels at `args`. */
function loopKernels(f: (...xs: Array[]) => Array | Array[], ...args: Array[]): LoopKernel[] {
  const jaxpr = withDefaultBackend("ref", () => makeJaxpr(f)(...args));
  return fuse(jaxpr).kernels.filter((k) => k.kind === "fused").map(lowerKernel);
}

/** An array of `dtype` and `shape` on ref. */
const arrayOf = (dtype: DType, shape: number[]) =>
  withDefaultBackend("ref", () => np.ones(shape, dtype));

const UNARY: Record<string, (x: Array) => Array> = {
  neg: ew.neg,
  sin: ew.sin,
  cos: ew.cos,
  exp: ew.exp,
  log: ew.log,
  log1p: ew.log1p,
  expm1: ew.expm1,
  tanh: ew.tanh,
  logistic: ew.logistic,
  sqrt: ew.sqrt,
  rsqrt: ew.rsqrt,
  abs: ew.abs,
  sign: ew.sign,
  erf: ew.erf,
  erf_inv: ew.erfInv,
  floor: ew.floor,
  ceil: ew.ceil,
  round: ew.round,
  not: ew.not,
  stop_gradient: ew.stopGradient,
};

const BINARY: Record<string, (x: Array, y: Array) => Array> = {
  add: ew.add,
  sub: ew.sub,
  mul: ew.mul,
  div: ew.div,
  pow: ew.pow,
  atan2: ew.atan2,
  rem: ew.rem,
  max: ew.max,
  min: ew.min,
  eq: ew.eq,
  ne: ew.ne,
  lt: ew.lt,
  le: ew.le,
  gt: ew.gt,
  ge: ew.ge,
  and: ew.and,
  or: ew.or,
};

/** Whether `f` traces at `args` (the primitive accepts their dtypes). */
function accepts(f: (...xs: Array[]) => Array, args: Array[]): boolean {
  try {
    withDefaultBackend("ref", () => makeJaxpr(f)(...args));
    return true;
  } catch {
    return false;
  }
}

Deno.test("kernel IR: every elementwise primitive lowers, at every dtype it takes, to a verified kernel", () => {
  let lowered = 0;
  const check = (what: string, f: (...xs: Array[]) => Array, args: Array[]) => {
    if (!accepts(f, args)) return;
    const kernels = loopKernels(f, ...args);
    assert.ok(kernels.length > 0, what);
    for (const k of kernels) {
      assert.deepEqual(irProblems(k), [], `${what}\n${loopKernelToString(k)}`);
    }
    lowered++;
  };
  for (const d of DTYPES) {
    const x = arrayOf(d, [2, 5]);
    for (const [name, f] of Object.entries(UNARY)) check(`${name} ${d}`, f, [x]);
    for (const [name, f] of Object.entries(BINARY)) check(`${name} ${d}`, f, [x, x]);
    for (const to of DTYPES.filter((t) => t !== d)) {
      check(`convert ${d} to ${to}`, (a) => ew.convert(a, to), [x]);
    }
    const p = arrayOf("bool", [2, 5]);
    check(`select ${d}`, (c, a, b) => ew.select(c, a, b), [p, x, x]);
  }
  // 20 unary and 17 binary primitives exist; floats alone take all of them.
  assert.ok(lowered > 100, `${lowered} lowered`);
});

Deno.test("kernel IR: a broadcast is a stride-0 load, a reduction an accumulating store", () => {
  const [k] = loopKernels(
    (x: Array, b: Array) => np.sum(np.sqrt(x.add(b)).mul(2), 1),
    arrayOf("float64", [3, 4]),
    arrayOf("float64", [4]),
  );
  assert.equal(
    loopKernelToString(k),
    [
      "loop [3,4] in (float64, float64) out (float64)",
      "  t0: float64 = in1[4,1]",
      "  t1: float64 = in0[0,1]",
      "  t2: float64 = add t0 t1",
      "  t3: float64 = sqrt t2",
      "  t4: float64 = 2",
      "  t5: float64 = mul t3 t4",
      "  out0[1,0] add= t5",
    ].join("\n"),
  );
});

Deno.test("kernel IR: any and all are max and min reductions of bools, identities false and true", () => {
  const kernels = loopKernels(
    (x: Array) => [np.any(x.gt(0), 1), np.all(x.gt(0), 0)],
    arrayOf("float32", [3, 4]),
  );
  for (const k of kernels) assert.deepEqual(irProblems(k), [], loopKernelToString(k));
  const reductions = kernels.flatMap((k) => k.stores).filter((s) => s.reduce);
  assert.deepEqual(reductions.map((s) => [s.reduce, s.value.dtype]), [
    ["max", "bool"],
    ["min", "bool"],
  ]);
  assert.deepEqual([reduceIdentity("max", "bool"), reduceIdentity("min", "bool")], [0, 1]);
});

Deno.test("kernel IR: sign, rsqrt and select lower to the IR's operations", () => {
  const [k] = loopKernels(
    (x: Array, c: Array) => ew.select(c, ew.sign(x), ew.rsqrt(x)),
    arrayOf("float64", [4]),
    arrayOf("bool", [4]),
  );
  const text = loopKernelToString(k);
  for (const line of ["= gt ", "= lt ", "= sqrt ", "= div ", "= select "]) {
    assert.ok(text.includes(line), `${line} in\n${text}`);
  }
  assert.ok(!text.includes("sign") && !text.includes("rsqrt"), text);
});

/** A well-formed kernel: out0 = in0 + 1 over [2, 3], and out1 = the row sums. */
function wellFormed(): LoopKernel {
  const x: Expr = { kind: "load", dtype: "float32", load: 0 };
  const one: Expr = { kind: "const", dtype: "float32", value: 1 };
  const y: Expr = { kind: "binary", op: "add", dtype: "float32", a: x, b: one };
  return {
    space: [2, 3],
    inputs: ["float32"],
    outputs: ["float32", "float32"],
    loads: [{ input: 0, strides: [3, 1] }],
    stores: [
      { output: 0, value: y, strides: [3, 1] },
      { output: 1, value: y, strides: [1, 0], reduce: "add" },
    ],
  };
}

Deno.test("kernel IR verifier: each rule rejects what it is for", () => {
  assert.deepEqual(irProblems(wellFormed()), []);
  const k = wellFormed();
  // out0 as a concatenate of two parts along the last axis: [2, 6], the parts 3 apart.
  const parts = [0, 3].map((offset) => ({
    output: 0,
    value: k.stores[0].value,
    strides: [6, 1],
    offset,
  }));
  assert.deepEqual(irProblems({ ...k, stores: [...parts, k.stores[1]] }), []);
  // in0 read one row down, row 0 padding: an offset of -3 is never read.
  const shifted = {
    input: 0,
    strides: [3, 1],
    offset: -3,
    padding: { bounds: [[1, 2], [0, 3]] as [number, number][], value: 0 },
  };
  assert.deepEqual(irProblems({ ...k, loads: [shifted] }), []);
  const x = k.stores[0].value as Extract<Expr, { kind: "binary" }>;
  const int: Expr = { kind: "const", dtype: "int32", value: 1 };
  const cases: [string, LoopKernel][] = [
    ["no input 1", { ...k, loads: [{ input: 1, strides: [3, 1] }] }],
    ["1 strides, rank 2", { ...k, loads: [{ input: 0, strides: [1] }] }],
    ["operand of int32 in a float32 operation", {
      ...k,
      stores: [{ ...k.stores[0], value: { ...x, b: int } }, k.stores[1]],
    }],
    ["sqrt of int32", {
      ...k,
      outputs: ["int32", "float32"],
      stores: [
        { ...k.stores[0], value: { kind: "unary", op: "sqrt", dtype: "int32", a: int } },
        k.stores[1],
      ],
    }],
    ["select on float32", {
      ...k,
      stores: [{
        ...k.stores[0],
        value: { kind: "select", dtype: "float32", cond: x, onTrue: x, onFalse: x },
      }, k.stores[1]],
    }],
    ["highWord of float32 giving int32", {
      ...k,
      outputs: ["int32", "float32"],
      stores: [{ ...k.stores[0], value: { kind: "highWord", dtype: "int32", a: x } }, k.stores[1]],
    }],
    ["int32 into a float32 output", {
      ...k,
      stores: [{ ...k.stores[0], value: int }, k.stores[1]],
    }],
    ["overwrite one element", { ...k, stores: [{ ...k.stores[0], strides: [1, 0] }, k.stores[1]] }],
    ["output 1 stored 0 times", { ...k, stores: [k.stores[0]] }],
    ["output 0 stored 2 times", { ...k, stores: [k.stores[0], k.stores[0], k.stores[1]] }],
    ["output 0 stored 2 times, not at disjoint elements", {
      ...k,
      stores: [parts[0], { ...parts[1], offset: 2 }, k.stores[1]],
    }],
    ["output 0 stored 3 times, not at disjoint elements", {
      ...k,
      stores: [...parts, { ...parts[1], offset: 7 }, k.stores[1]],
    }],
    ["load 0: reads before its input's first element (offset -3)", {
      ...k,
      loads: [{ ...shifted, padding: { ...shifted.padding, bounds: [[0, 2], [0, 3]] } }],
    }],
    ["load 0: padding bounds [[1,3],[0,3]] outside the space", {
      ...k,
      loads: [{ ...shifted, padding: { ...shifted.padding, bounds: [[1, 3], [0, 3]] } }],
    }],
    ["store 0: writes before its output's first element (offset -1)", {
      ...k,
      stores: [{ ...k.stores[0], offset: -1 }, k.stores[1]],
    }],
    ["add reduction of bool", {
      ...k,
      outputs: ["float32", "bool"],
      stores: [k.stores[0], {
        ...k.stores[1],
        value: { kind: "compare", op: "lt", dtype: "bool", a: x, b: x },
      }],
    }],
    ["read from a float32 input", {
      ...k,
      stores: [
        { ...k.stores[0], value: { ...x, a: { kind: "load", dtype: "int32", load: 0 } } },
        k.stores[1],
      ],
    }],
  ];
  for (const [want, bad] of cases) {
    const problems = irProblems(bad);
    assert.ok(problems.some((p) => p.includes(want)), `${want}: got ${JSON.stringify(problems)}`);
  }
});
