import asc from "assemblyscript/asc";
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Array, type ConcreteArray, jit, numpy as np, type Var } from "../mod.ts";
import { fuse, type Kernel, type KernelProgram } from "../kernels/lowering/fusion.ts";
import { byteSize, planMemory } from "../kernels/lowering/memory_plan.ts";
import { emitFusedModule } from "../kernels/wasm/fused_codegen.ts";
import { lowerKernel } from "../kernels/lowering/lower_kernel.ts";
import { assertClose } from "./util/assert_close.ts";

type Op = (x: Array, y: Array) => Array;
const UNARY: ((x: Array) => Array)[] = [
  np.tanh,
  np.sin,
  np.exp,
  np.sigmoid,
  np.abs,
  np.square,
  np.relu,
  np.erf,
  (x) => np.erfInv(np.tanh(x)),
  (x) => np.astype(np.astype(np.multiply(x, 3), "int32"), x.dtype),
  (x) => np.where(np.greater(x, 0.1), x, np.negative(x)),
];
const BINARY: Op[] = [np.add, np.subtract, np.multiply, np.maximum, np.minimum];

/** A random elementwise program over x:[2,3,4] and b:[4] (or [6,2,2] and [2]), with a reduction. */
const programArb = fc.record({
  ops: fc.array(fc.tuple(fc.nat(UNARY.length - 1), fc.nat(BINARY.length - 1), fc.boolean()), {
    minLength: 1,
    maxLength: 5,
  }),
  reduce: fc.constantFrom("none", "sum0", "max2", "sumAll"),
  dtype: fc.constantFrom("float32" as const, "float64" as const),
  // [6, 2, 2]: an innermost axis shorter than 4 moves out of the innermost loop.
  shape: fc.constantFrom([2, 3, 4], [6, 2, 2]),
});

type Spec = typeof programArb extends fc.Arbitrary<infer T> ? T : never;

function build(spec: Spec) {
  return (x: Array, b: Array) => {
    let v = x;
    for (const [u, bi, useB] of spec.ops) v = BINARY[bi](UNARY[u](v), useB ? b : x.mul(0.5));
    if (spec.reduce === "sum0") return np.sum(v, 0);
    if (spec.reduce === "max2") return np.max(v, 2);
    if (spec.reduce === "sumAll") return np.sum(v);
    return v;
  };
}

function bytesOf(a: ConcreteArray): Uint8Array {
  const d = a.dataSync();
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** Buffers start above the region kept for the module's static data. */
const STATIC_DATA_BYTES = 65536;

/** Runs a program whose kernels are all fused, placing intermediates by the memory plan. */
function run(
  program: KernelProgram,
  names: Map<Kernel, string>,
  exports: WebAssembly.Exports,
  memory: WebAssembly.Memory,
  args: ConcreteArray[],
): Float64Array[] {
  const plan = planMemory(program);
  const addr = new Map<Var, number>();
  let top = STATIC_DATA_BYTES;
  const place = (v: Var) => {
    addr.set(v, top);
    top += byteSize(v);
  };
  const inputs = [...program.jaxpr.inBinders];
  inputs.forEach((v, i) => {
    place(v);
    new Uint8Array(memory.buffer).set(bytesOf(args[i]), addr.get(v)!);
  });
  const arena = top;
  top += plan.arenaBytes;
  for (const [v, off] of plan.offsets) addr.set(v, arena + off);
  for (const o of program.jaxpr.outs as Var[]) if (!addr.has(o)) place(o);
  for (const k of program.kernels) {
    // The whole range of the outermost axis (a kernel without axes takes [0, 1)).
    const space = k.space!;
    (exports[names.get(k)!] as CallableFunction)(
      ...[...k.inputs, ...k.outputs].map((v) => addr.get(v)!),
      0,
      space.length ? space[0] : 1,
    );
  }
  return (program.jaxpr.outs as Var[]).map((o) => {
    const Ctor = o.aval.dtype === "float64" ? Float64Array : Float32Array;
    return Float64Array.from(new Ctor(memory.buffer as ArrayBuffer, addr.get(o)!, o.aval.size));
  });
}

/** A random program's function, its inputs and its fused kernel program. */
interface Case {
  f: (x: Array, b: Array) => Array;
  x: ConcreteArray;
  b: ConcreteArray;
  tol: number;
  what: string;
  program: KernelProgram;
}

/** Compiles every case's kernels into one module, runs them, and compares with the reference. */
async function checkAgainstReference(programs: Case[]): Promise<string> {
  const names = new Map<Kernel, string>();
  programs.forEach((p, i) => p.program.kernels.forEach((k, j) => names.set(k, `p${i}_k${j}`)));
  for (const k of names.keys()) {
    if (k.kind !== "fused") throw new Error(`expected only fused kernels, got ${k.kind}`);
  }
  const source = emitFusedModule(new Map([...names].map(([k, n]) => [n, lowerKernel(k)])));
  const out = await asc.compileString({ "fused.ts": source }, {
    optimizeLevel: 3,
    runtime: "stub",
    importMemory: true,
    noAssert: true,
    enable: ["simd", "relaxed-simd"],
  } as never);
  if (!out.binary) throw new Error(out.stderr.toString());
  const memory = new WebAssembly.Memory({ initial: 8 });
  const module = await WebAssembly.compile(out.binary as Uint8Array<ArrayBuffer>);
  const instance = await WebAssembly.instantiate(module, { env: { memory, abort: () => {} } });
  for (const { f, x, b, tol, what, program } of programs) {
    const [got] = run(program, names, instance.exports, memory, [x, b]);
    const want = f(x, b);
    assertClose(globalThis.Array.from(got), want.toArray() as number[] | number, {
      rtol: tol,
      atol: tol,
    }, what);
  }
  return source;
}

Deno.test("generated AssemblyScript for fused kernels matches the reference backend", async () => {
  const specs = fc.sample(programArb, { numRuns: 16, seed: 42 });
  await checkAgainstReference(specs.map((spec) => {
    const f = build(spec);
    const x = np.array(
      np.linspace(-2, 2, 24).reshape([...spec.shape]),
      spec.dtype,
    ) as ConcreteArray;
    const inner = spec.shape[2];
    const b = np.array([0.3, -0.7, 1.1, 2].slice(0, inner), spec.dtype) as ConcreteArray;
    const tol = spec.dtype === "float32" ? 2e-5 : 1e-12;
    return { f, x, b, tol, what: JSON.stringify(spec), program: fuse(jit(f).lower(x, b).jaxpr) };
  }));
});

/** Operations with an f32x4 form: programs of these alone run the vector loop. */
const VECTOR_UNARY: ((x: Array) => Array)[] = [
  np.abs,
  np.square,
  np.relu,
  np.sqrt,
  np.negative,
  (x) => np.where(np.greater(x, 0.1), x, np.negative(x)),
  (x) => np.astype(np.lessEqual(x, 0.5), "float32"),
];
const VECTOR_BINARY: Op[] = [np.add, np.subtract, np.multiply, np.divide, np.maximum, np.minimum];

const vectorProgramArb = fc.record({
  ops: fc.array(
    fc.tuple(fc.nat(VECTOR_UNARY.length - 1), fc.nat(VECTOR_BINARY.length - 1), fc.boolean()),
    { minLength: 1, maxLength: 5 },
  ),
  inner: fc.constantFrom(4, 5, 7, 9),
  column: fc.boolean(),
});

Deno.test("vectorised fused kernels (float32, any innermost length) equal the reference", async () => {
  const specs = fc.sample(vectorProgramArb, { numRuns: 16, seed: 5 });
  const source = await checkAgainstReference(specs.map((spec) => {
    // b broadcasts along the innermost axis ([inner]) or across it ([3, 1]: a splatted load).
    const f = (x: Array, b: Array) => {
      let v = x;
      for (const [u, bi, useB] of spec.ops) {
        v = VECTOR_BINARY[bi](VECTOR_UNARY[u](v), useB ? b : x.mul(0.5));
      }
      return v;
    };
    const n = 2 * 3 * spec.inner;
    const x = np.array(np.linspace(-2, 2, n).reshape([2, 3, spec.inner])) as ConcreteArray;
    const bShape = spec.column ? [3, 1] : [spec.inner];
    const bSize = bShape[0];
    const b = np.array(np.linspace(0.3, 2, bSize).reshape(bShape)) as ConcreteArray;
    return {
      f,
      x,
      b,
      tol: 2e-5,
      what: JSON.stringify(spec),
      program: fuse(jit(f).lower(x, b).jaxpr),
    };
  }));
  assert.match(source, /f32x4\./, "no kernel took the vector loop");
});
