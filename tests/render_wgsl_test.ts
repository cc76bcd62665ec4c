/**
 * The WGSL renderer of the kernel IR: every IR operation, at every operand dtype the verifier
 * lets it take (float32, int32, bool on the GPU), renders; dtypes it does not take are refused;
 * and a one-op program of the operation, run on webgpu over corner cases (NaN, infinities,
 * signed zeros, zero divisors, int32's extremes), equals the ref backend's primitive of the same
 * operation. Float32 tolerances are those of tests/webgpu_test.ts: exact, except sqrt and
 * division (`2e-6 * |ref| + 2e-6`). Math nodes are float64 only, so WGSL refuses them (float32
 * math is IR definitions, checked by tests/lowered_math_test.ts).
 *
 * Without a WebGPU adapter the running tests are registered as ignored, with a warning.
 */
import assert from "node:assert/strict";
import { ConcreteArray, type DType, initWebGPU, lax, type TypedArray } from "../mod.ts";
import { allocTyped } from "../core/dtype.ts";
import { withDefaultBackend } from "../core/backend.ts";
import type {
  BinaryOp,
  CompareOp,
  Expr,
  LoopKernel,
  UnaryOp,
} from "../kernels/lowering/kernel_ir.ts";
import { irProblems } from "../kernels/lowering/verify_ir.ts";
import {
  BINARY_PRIMITIVE,
  COMPARE_PRIMITIVE,
  type PrimitiveFn,
  UNARY_PRIMITIVE,
} from "./util/ir_primitives.ts";
import { FLOAT_CORNERS } from "./util/float_corners.ts";
import { programKernel } from "../kernels/webgpu/elementwise.ts";
import { webgpuRuntime } from "../kernels/webgpu/init.ts";
import {
  BINARY_WGSL,
  COMPARE_WGSL,
  renderExprs,
  UNARY_WGSL,
} from "../kernels/webgpu/render_wgsl.ts";

const backend = await initWebGPU();
if (!backend) console.warn("render_wgsl tests skipped: this runtime has no WebGPU adapter");

const GPU_DTYPES: DType[] = ["float32", "int32", "bool"];

/** Agreement: exact, or within `rtol * |ref| + atol`. */
interface Tolerance {
  rtol: number;
  atol: number;
}
const EXACT: Tolerance = { rtol: 0, atol: 0 };
const MATH: Tolerance = { rtol: 2e-6, atol: 2e-6 };

/** One operation of the IR: a node over `arity` loads of the given dtypes, and its ref. */
interface Case {
  label: string;
  /** Dtype of each operand. */
  operands: DType[];
  /** The node over loads of the operands. */
  node: (args: Expr[]) => Expr;
  ref: PrimitiveFn;
  tol: Tolerance;
}

const load = (dtype: DType, i: number): Expr => ({ kind: "load", dtype, load: i });

/** Every IR operation at every GPU dtype, taken by it or not. */
function cases(): Case[] {
  const out: Case[] = [];
  for (const d of GPU_DTYPES) {
    const exact = d !== "float32";
    for (const op of Object.keys(UNARY_WGSL) as UnaryOp[]) {
      out.push({
        label: `${op} ${d}`,
        operands: [d],
        node: ([a]) => ({ kind: "unary", op, dtype: d, a }),
        ref: UNARY_PRIMITIVE[op],
        tol: op === "sqrt" && !exact ? MATH : EXACT,
      });
    }
    for (const op of Object.keys(BINARY_WGSL) as BinaryOp[]) {
      out.push({
        label: `${op} ${d}`,
        operands: [d, d],
        node: ([a, b]) => ({ kind: "binary", op, dtype: d, a, b }),
        ref: BINARY_PRIMITIVE[op],
        tol: op === "div" && !exact ? MATH : EXACT,
      });
    }
    for (const op of Object.keys(COMPARE_WGSL) as CompareOp[]) {
      out.push({
        label: `${op} ${d}`,
        operands: [d, d],
        node: ([a, b]) => ({ kind: "compare", op, dtype: "bool", a, b }),
        // The primitives order no bools; the IR orders them as 0 and 1.
        ref: d === "bool" && op !== "eq" && op !== "ne"
          ? (a, b) => COMPARE_PRIMITIVE[op](lax.convert(a, "int32"), lax.convert(b, "int32"))
          : COMPARE_PRIMITIVE[op],
        tol: EXACT,
      });
    }
    out.push({
      label: `select ${d}`,
      operands: ["bool", d, d],
      node: ([cond, onTrue, onFalse]) => ({ kind: "select", dtype: d, cond, onTrue, onFalse }),
      ref: (p, t, f) => lax.select(p, t, f),
      tol: EXACT,
    });
    for (const to of GPU_DTYPES) {
      out.push({
        label: `convert ${d} to ${to}`,
        operands: [d],
        node: ([a]) => ({ kind: "convert", dtype: to, a }),
        ref: (x) => lax.convert(x, to),
        tol: EXACT,
      });
    }
  }
  return out;
}

/** The one-op program of `c` over `size` elements. */
function program(c: Case, size: number): LoopKernel {
  const value = c.node(c.operands.map(load));
  return {
    space: [size],
    inputs: c.operands,
    outputs: [value.dtype],
    loads: c.operands.map((_, input) => ({ input, strides: [1] })),
    stores: [{ output: 0, value, strides: [1] }],
  };
}

/** Whether the verifier lets `c`'s operation take its operand dtypes. */
const taken = (c: Case) => irProblems(program(c, 1)).length === 0;

Deno.test("render_wgsl: every IR operation renders at every dtype it takes, and refuses the rest", () => {
  let rendered = 0;
  for (const c of cases()) {
    const k = program(c, 1);
    const render = () => renderExprs([k.stores[0].value], () => "x");
    if (taken(c)) {
      const { lines, values } = render();
      const last = `t${c.operands.length}`;
      assert.ok(lines.length === c.operands.length + 1 && values[0] === last, lines.join(" "));
      rendered++;
    } else {
      assert.throws(render, /no WGSL|float64/, c.label);
    }
  }
  // Unary 10 (operation, dtype) pairs, binary 22 (xor and the three shifts of int32 only),
  // comparisons 18, select 3, convert 9.
  assert.equal(rendered, 62);
});

Deno.test("render_wgsl: float64 is refused naming the operation", () => {
  const a: Expr = { kind: "const", dtype: "float32", value: 1 };
  assert.throws(
    () => renderExprs([{ kind: "convert", dtype: "float64", a }], () => "x"),
    /convert: float64 is not available/,
  );
});

/** Corner cases of each dtype, for one-op programs to meet. */
const VALUES: Record<string, number[]> = {
  float32: [
    ...FLOAT_CORNERS,
    0.75,
    -0.3,
    1.7,
    -2.2,
    2 ** 31,
    -3e9,
  ],
  int32: [0, 1, -1, 2, -2, 3, -3, 7, -7, 25, -25, 5, 100, 2147483647, -2147483648],
  bool: [0, 1],
};

/** Every combination of the operands' corner cases, one column per operand. */
function grid(c: Case): number[][] {
  let rows: number[][] = [[]];
  for (const d of c.operands) rows = rows.flatMap((r) => VALUES[d].map((x) => [...r, x]));
  return c.operands.map((_, k) => rows.map((r) => r[k]));
}

function typed(dtype: DType, data: number[]): TypedArray {
  const t = allocTyped(dtype, data.length);
  t.set(data);
  return t;
}

/** `c`'s one-op program run on the webgpu runtime directly. */
async function onGpu(c: Case, columns: number[][]): Promise<number[]> {
  const rt = webgpuRuntime()!;
  const n = columns[0].length;
  const k = program(c, n);
  const host = (d: DType, xs: number[]) =>
    d === "float32"
      ? new Float32Array(xs)
      : d === "int32"
      ? new Int32Array(xs)
      : new Uint32Array(xs);
  const ins = columns.map((xs, i) => {
    const b = rt.alloc(4 * n);
    rt.write(b, host(c.operands[i], xs));
    return b;
  });
  const out = rt.alloc(4 * n);
  rt.run(programKernel(k), [...ins, out]);
  const bytes = await rt.read(out, 4 * n);
  [...ins, out].forEach((b) => rt.release(b));
  const d = k.outputs[0];
  const view = d === "float32"
    ? new Float32Array(bytes, 0, n)
    : d === "int32"
    ? new Int32Array(bytes, 0, n)
    : new Uint32Array(bytes, 0, n);
  return [...view];
}

/** `c`'s primitive on the ref backend. */
async function onRef(c: Case, columns: number[][]): Promise<number[]> {
  const out = withDefaultBackend("ref", () => {
    const xs = columns.map((xs, i) =>
      ConcreteArray.fromHost(typed(c.operands[i], xs), [xs.length], c.operands[i], "ref")
    );
    return c.ref(...xs);
  });
  return [...await out.read()].map(Number);
}

Deno.test({
  name: "render_wgsl: a one-op program of every IR operation equals ref on webgpu",
  ignore: !backend,
  fn: async (t) => {
    for (const c of cases().filter(taken)) {
      await t.step(c.label, async () => {
        const columns = grid(c);
        const [got, want] = await Promise.all([onGpu(c, columns), onRef(c, columns)]);
        want.forEach((w, i) => {
          const g = got[i];
          if (Object.is(g, w) || g === w || (Number.isNaN(g) && Number.isNaN(w))) return;
          const bound = c.tol.atol + c.tol.rtol * Math.abs(w);
          const args = columns.map((col) => col[i]).join(", ");
          assert.ok(
            Number.isFinite(w) && Math.abs(g - w) <= bound,
            `${c.label}(${args}) is ${g} on webgpu, ${w} on ref (bound ${bound})`,
          );
        });
      });
    }
  },
});

Deno.test({
  name: "render_wgsl: constants of every dtype, NaN, infinities and -0 included, store as ref's",
  ignore: !backend,
  fn: async () => {
    const rt = webgpuRuntime()!;
    const consts: [DType, number][] = [
      ...[NaN, Infinity, -Infinity, -0, 1.5, -2.25, 1e-40, 3e38].map((
        v,
      ): [DType, number] => ["float32", v]),
      ...[0, -1, 2147483647, -2147483648].map((v): [DType, number] => ["int32", v]),
      ["bool", 0],
      ["bool", 1],
    ];
    for (const [dtype, value] of consts) {
      const k: LoopKernel = {
        space: [1],
        inputs: [],
        outputs: [dtype],
        loads: [],
        stores: [{ output: 0, value: { kind: "const", dtype, value }, strides: [1] }],
      };
      const out = rt.alloc(4);
      rt.run(programKernel(k), [out]);
      const bytes = await rt.read(out, 4);
      rt.release(out);
      const got = dtype === "float32"
        ? new Float32Array(bytes, 0, 1)[0]
        : dtype === "int32"
        ? new Int32Array(bytes, 0, 1)[0]
        : new Uint32Array(bytes, 0, 1)[0];
      const want = typed(dtype, [value])[0];
      assert.ok(Object.is(got, want), `${dtype} constant ${value}: ${got}, want ${want}`);
    }
  },
});
