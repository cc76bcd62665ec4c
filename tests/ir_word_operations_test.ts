/**
 * The kernel IR's operations on float bits and the fused multiply-add (`fma`, `bitcast`,
 * `shift`, `highWord`, `withHighWord`: kernels/lowering/kernel_ir.ts; and the int32 words'
 * `xor` and shifts by an operand), which the math
 * definitions are built from: the verifier takes them at their dtypes only; the AssemblyScript
 * renderer's wide, four-lane and scalar loops and (but for float64) the WGSL renderer compute,
 * over corner cases and random bit patterns, exactly what the IR evaluator of
 * tests/util/evaluate_ir.ts does (`fma` rounded once on wasm, once or twice, consistently, on
 * WebGPU).
 */
import asc from "assemblyscript/asc";
import assert from "node:assert/strict";
import { initWebGPU } from "../mod.ts";
import type { DType } from "../core/dtype.ts";
import type { Expr, LoopKernel } from "../kernels/lowering/kernel_ir.ts";
import { irProblems } from "../kernels/lowering/verify_ir.ts";
import { emitFusedModule } from "../kernels/wasm/fused_codegen.ts";
import { programKernel } from "../kernels/webgpu/elementwise.ts";
import { webgpuRuntime } from "../kernels/webgpu/init.ts";
import { evaluateExpr, f32Bits } from "./util/evaluate_ir.ts";
import { FLOAT_CORNERS } from "./util/float_corners.ts";

const gpu = await initWebGPU();

const load = (dtype: DType, i: number): Expr => ({ kind: "load", dtype, load: i });
const f = (i: number) => load("float32", i), n = (i: number) => load("int32", i);
const g = (i: number) => load("float64", i);

/** Each operation's node over loads, and its operands' dtypes. */
const CASES: { label: string; inputs: DType[]; value: Expr }[] = [
  { label: "fma", inputs: ["float32", "float32", "float32"], value: fmaOf(f(0), f(1), f(2)) },
  {
    label: "bitcast to int32",
    inputs: ["float32"],
    value: { kind: "bitcast", dtype: "int32", a: f(0) },
  },
  {
    label: "bitcast to float32",
    inputs: ["int32"],
    value: { kind: "bitcast", dtype: "float32", a: n(0) },
  },
  {
    label: "float64 fma",
    inputs: ["float64", "float64", "float64"],
    value: { kind: "fma", dtype: "float64", a: g(0), b: g(1), c: g(2) },
  },
  { label: "highWord", inputs: ["float64"], value: { kind: "highWord", dtype: "int32", a: g(0) } },
  {
    label: "withHighWord",
    inputs: ["float64", "int32"],
    value: { kind: "withHighWord", dtype: "float64", a: g(0), high: n(1) },
  },
  ...[0, 1, 23, 31].flatMap((bits) =>
    (["shl", "shr", "shru"] as const).map((op) => ({
      label: `${op} ${bits}`,
      inputs: ["int32"] as DType[],
      value: { kind: "shift", op, dtype: "int32", a: n(0), bits } as Expr,
    }))
  ),
  // xor, and shifts by an operand: any int32 (mostly outside [0, 31]), or one in [-16, 47].
  ...(["shl", "shr", "shru", "xor"] as const).map((op) => ({
    label: `${op} by an operand`,
    inputs: ["int32", "int32"] as DType[],
    value: { kind: "binary", op, dtype: "int32", a: n(0), b: n(1) } as Expr,
  })),
  ...(["shl", "shr", "shru"] as const).map((op) => ({
    label: `${op} by an operand in [-16, 47]`,
    inputs: ["int32", "int32"] as DType[],
    value: { kind: "binary", op, dtype: "int32", a: n(0), b: smallAmount(n(1)) } as Expr,
  })),
];

/** `b & 63` less 16: shift amounts in [-16, 47], a quarter of them outside [0, 31]. */
function smallAmount(b: Expr): Expr {
  const int = (value: number): Expr => ({ kind: "const", dtype: "int32", value });
  const masked: Expr = { kind: "binary", op: "and", dtype: "int32", a: b, b: int(63) };
  return { kind: "binary", op: "sub", dtype: "int32", a: masked, b: int(16) };
}

function fmaOf(a: Expr, b: Expr, c: Expr): Expr {
  return { kind: "fma", dtype: "float32", a, b, c };
}

/** A length that runs the wide loop, the four-lane loop and the scalar remainder. */
const SIZE = 16 * 40 + 4 + 3;

/** Float64 corner cases: IEEE's, the subnormals' ends, one's neighbours, the largest finite. */
const CORNERS64 = [...FLOAT_CORNERS, 5e-324, 2 ** -1022, 1 + 2 ** -52, 1 - 2 ** -53, 1.7e308];

/** Column `i` of `d`: corner cases, then random values (fixed seed), `SIZE` of them. */
function column(
  d: DType,
  i: number,
): Float32Array<ArrayBuffer> | Float64Array<ArrayBuffer> | Int32Array<ArrayBuffer> {
  let s = 777 + i;
  const random = () => (s = (Math.imul(s, 1664525) + 1013904223) | 0);
  const ints = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 0x7f800000, 0x3f800000, 0x007fffff];
  const floats = [...FLOAT_CORNERS, 1 + 2 ** -23, 1 - 2 ** -23, -1, 2 ** -149, 2 ** -126, 3e38];
  if (d === "float64") {
    const out = new Float64Array(SIZE);
    const words = new Int32Array(out.buffer);
    for (let k = 0; k < SIZE; k++) {
      if (k < CORNERS64.length) out[(k + 3 * i) % CORNERS64.length] = CORNERS64[k];
      else if (k % 2) out[k] = (random() % 1000) / 7;
      else [words[2 * k], words[2 * k + 1]] = [random(), random()];
    }
    return out;
  }
  const corner = d === "float32" ? floats : ints;
  const out = d === "float32" ? new Float32Array(SIZE) : new Int32Array(SIZE);
  const bits = new Int32Array(out.buffer);
  for (let k = 0; k < SIZE; k++) {
    if (k < corner.length) out[(k + 3 * i) % corner.length] = corner[k];
    else if (d === "float32" && k % 2) out[k] = (random() % 1000) / 7;
    else bits[k] = random();
  }
  return out;
}

/** The one-kernel program of `value` over `SIZE` elements. */
function kernelOf(inputs: DType[], value: Expr): LoopKernel {
  return {
    space: [SIZE],
    inputs,
    outputs: [value.dtype],
    loads: inputs.map((_, input) => ({ input, strides: [1] })),
    stores: [{ output: 0, value, strides: [1] }],
  };
}

/** What the IR evaluator gives at each element. */
function expected(c: (typeof CASES)[number], columns: ArrayLike<number>[], fused: boolean) {
  return Array.from(
    { length: SIZE },
    (_, k) => evaluateExpr(c.value, columns.map((col) => col[k]), fused),
  );
}

/** The first element where `got` differs from `want` in bits (NaNs alike), or null. */
function difference(got: ArrayLike<number>, want: number[], d: DType): number | null {
  for (let k = 0; k < want.length; k++) {
    const [g, w] = [got[k], want[k]];
    if (d !== "int32" && Number.isNaN(g) && Number.isNaN(w)) continue;
    const same = d === "float32"
      ? f32Bits(g) === f32Bits(w)
      : d === "float64"
      ? Object.is(g, w) || Number.isNaN(g) && Number.isNaN(w)
      : (g | 0) === (w | 0);
    if (!same) return k;
  }
  return null;
}

Deno.test("fma, bitcast, shift and the high words verify at their dtypes only", () => {
  for (const c of CASES) assert.deepEqual(irProblems(kernelOf(c.inputs, c.value)), [], c.label);
  const wrong: [DType[], Expr][] = [
    [["int32", "int32", "int32"], { kind: "fma", dtype: "int32", a: n(0), b: n(1), c: n(2) }],
    [["float32"], { kind: "bitcast", dtype: "float32", a: f(0) }],
    [["float64"], { kind: "bitcast", dtype: "int32", a: load("float64", 0) }],
    [["float32"], { kind: "highWord", dtype: "int32", a: f(0) }],
    [["float64", "float32"], { kind: "withHighWord", dtype: "float64", a: g(0), high: f(1) }],
    [["int32", "int32"], { kind: "withHighWord", dtype: "float64", a: n(0), high: n(1) }],
    [["int32"], { kind: "shift", op: "shl", dtype: "int32", a: n(0), bits: 32 }],
    [["int32"], { kind: "shift", op: "shr", dtype: "int32", a: n(0), bits: 1.5 }],
  ];
  for (const [inputs, value] of wrong) {
    assert.ok(irProblems(kernelOf(inputs, value)).length > 0, JSON.stringify(value));
  }
});

Deno.test("fma, bitcast, shift and the high words on wasm equal the IR evaluator in every loop", async () => {
  const kernels = new Map(CASES.map((c, i) => [`k${i}`, kernelOf(c.inputs, c.value)]));
  const out = await asc.compileString({ "k.ts": emitFusedModule(kernels) }, {
    optimizeLevel: 3,
    runtime: "stub",
    importMemory: true,
    noAssert: true,
    enable: ["simd", "relaxed-simd"],
  } as never);
  if (!out.binary) throw new Error(out.stderr.toString());
  const memory = new WebAssembly.Memory({ initial: 16 });
  const module = await WebAssembly.compile(out.binary as Uint8Array<ArrayBuffer>);
  const { exports } = await WebAssembly.instantiate(module, { env: { memory, abort: () => {} } });
  const base = (exports.heap_base as () => number)() + 64;
  CASES.forEach((c, i) => {
    const columns = c.inputs.map(column);
    // Each column 8 bytes an element apart, so that every one is aligned.
    columns.forEach((col, j) =>
      new Uint8Array(memory.buffer, base + 8 * SIZE * j).set(
        new Uint8Array(col.buffer),
      )
    );
    const at = base + 8 * SIZE * columns.length;
    const args = [...columns.map((_, j) => base + 8 * SIZE * j), at, 0, SIZE];
    (exports[`k${i}`] as (...a: number[]) => void)(...args);
    const d = c.value.dtype;
    const got = d === "float32"
      ? new Float32Array(memory.buffer, at, SIZE)
      : d === "float64"
      ? new Float64Array(memory.buffer, at, SIZE)
      : new Int32Array(memory.buffer, at, SIZE);
    const k = difference(got, expected(c, columns, true), d);
    assert.equal(k, null, `${c.label}: element ${k} is ${got[k!]} on wasm`);
  });
});

Deno.test({
  name: "fma, bitcast and shift on webgpu equal the IR evaluator",
  ignore: !gpu,
  fn: async () => {
    const rt = webgpuRuntime()!;
    const float64 = (c: (typeof CASES)[number]) => [...c.inputs, c.value.dtype].includes("float64");
    for (const c of CASES.filter((c) => !float64(c))) {
      const columns = c.inputs.map(column);
      const ins = columns.map((col) => {
        const b = rt.alloc(4 * SIZE);
        rt.write(b, col);
        return b;
      });
      const result = rt.alloc(4 * SIZE);
      rt.run(programKernel(kernelOf(c.inputs, c.value)), [...ins, result]);
      const bytes = await rt.read(result, 4 * SIZE);
      [...ins, result].forEach((b) => rt.release(b));
      const d = c.value.dtype;
      const got = d === "float32" ? new Float32Array(bytes) : new Int32Array(bytes);
      // GPUs may flush subnormal floats: compare where no float operand or result is one.
      const subnormal = (v: number) => v !== 0 && Math.abs(v) < 2 ** -126;
      const keep = (k: number, want: number[]) =>
        d !== "float32" && c.inputs[0] !== "float32" ||
        !(columns.some((col, j) => c.inputs[j] === "float32" && subnormal(col[k])) ||
          subnormal(want[k]));
      const differences = [true, false].map((fused) => {
        const want = expected(c, columns, fused);
        const kept = want.map((_, k) => k).filter((k) => keep(k, want));
        const k = difference(kept.map((k) => got[k]), kept.map((k) => want[k]), d);
        return k === null ? null : kept[k];
      });
      const k = differences[0];
      assert.ok(differences.includes(null), `${c.label}: element ${k} is ${got[k!]} on webgpu`);
    }
  },
});
