/**
 * The kernel IR's `index` node (a point's coordinate along an axis: kernels/lowering/kernel_ir.ts)
 * rendered by the AssemblyScript code generator: loop kernels storing `index * 2 + 1` along every
 * axis of their space give each point's coordinates in every loop that runs them, the wide loop
 * of fours, the four-lane loop and the scalar remainder of a lanes kernel, the quad, pairs and
 * scalar loops of a pairs kernel, a kernel without a vector form, and a sized kernel (run-time
 * sizes: sized_kernel.ts), each over a range of axis 0 split in two tasks.
 */
import asc from "assemblyscript/asc";
import assert from "node:assert/strict";
import { stridesOf } from "../core/shape.ts";
import { binaryExpr, constant } from "../kernels/lowering/ir_builders.ts";
import type { Expr, LoopKernel } from "../kernels/lowering/kernel_ir.ts";
import type { SizedLoopKernel } from "../kernels/lowering/sized_kernel.ts";
import { irProblems } from "../kernels/lowering/verify_ir.ts";
import { emitFusedModule } from "../kernels/wasm/fused_codegen.ts";

/** `index(axis) * 2 + 1`: odd, so that no coordinate passes for another's zeroed lanes. */
const odd = (axis: number): Expr =>
  binaryExpr(
    "add",
    binaryExpr("mul", { kind: "index", dtype: "int32", axis }, constant("int32", 2)),
    constant("int32", 1),
  );

/** A kernel over `space` storing `odd(d)` into dense output `d`, per axis `d`. */
function coordinates(space: number[]): LoopKernel {
  return {
    space,
    inputs: [],
    outputs: space.map(() => "int32"),
    loads: [],
    stores: space.map((_, d) => ({ output: d, value: odd(d), strides: stridesOf(space) })),
  };
}

/** The representative size of a run-time axis. */
const ANY = 256;

/** A sized kernel's: the innermost size `n` given at run time. */
const sized: SizedLoopKernel = { ...coordinates([ANY, ANY]), sizes: [null, "n"] };

/**
 * Each kernel, the sizes it runs at (its space's, or a sized kernel's run-time ones), and what
 * its generated source must hold (the loops that the test is meant to reach).
 */
const CASES: { name: string; kernel: LoopKernel; shape: number[]; loops: string[] }[] = [
  // 23 along the innermost: a wide loop of 16, one four, a scalar remainder of 3.
  {
    name: "lanes",
    kernel: coordinates([3, 5, 23]),
    shape: [3, 5, 23],
    loops: ["i2 + 16 <= 23", "i2 + 4 <= 23"],
  },
  // The innermost of 2, the axis before it of 7: one quad step, one pair, one scalar step.
  {
    name: "pairs",
    kernel: coordinates([3, 7, 2]),
    shape: [3, 7, 2],
    loops: ["i1 + 4 <= 7", "i1 + 2 <= 7"],
  },
  { name: "scalar", kernel: coordinates([4, 3]), shape: [4, 3], loops: ["i1 < 3"] },
  {
    name: "sized",
    kernel: sized,
    shape: [3, 23],
    loops: ["i1 + 16 <= n", "i1 + 4 <= n"],
  },
];

Deno.test("index nodes verify along the axes of the space only", () => {
  for (const c of CASES) assert.deepEqual(irProblems(c.kernel), [], c.name);
  const beyond = coordinates([4, 8]);
  const wrong = { ...beyond, stores: [{ ...beyond.stores[0], value: odd(2) }] };
  assert.ok(irProblems(wrong).length > 0);
});

Deno.test("index nodes on wasm give each point's coordinates in every loop", async () => {
  const kernels = new Map(CASES.map((c) => [c.name, c.kernel]));
  const source = emitFusedModule(kernels);
  for (const c of CASES) {
    const fn = source.slice(source.indexOf(`function ${c.name}(`)).split("\n}\n")[0];
    for (const loop of c.loops) assert.ok(fn.includes(loop), `${c.name}: no loop ${loop}`);
  }
  const out = await asc.compileString({ "k.ts": source }, {
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
  for (const c of CASES) {
    const n = c.shape.reduce((a, b) => a * b, 1);
    const outs = c.shape.map((_, d) => base + 4 * n * d);
    new Int32Array(memory.buffer, base, n * c.shape.length).fill(-1);
    const sizes = "sizes" in c.kernel ? c.shape.slice(1) : [];
    // Two tasks: axis 0's coordinates are the range's, not from 0 in each.
    const run = exports[c.name] as (...a: number[]) => void;
    run(...outs, 0, 1, ...sizes);
    run(...outs, 1, c.shape[0], ...sizes);
    const strides = stridesOf(c.shape);
    c.shape.forEach((_, d) => {
      const got = new Int32Array(memory.buffer, outs[d], n);
      const want = Int32Array.from({ length: n }, (_, i) => {
        return 2 * (Math.floor(i / strides[d]) % c.shape[d]) + 1;
      });
      const k = got.findIndex((v, i) => v !== want[i]);
      assert.equal(k, -1, `${c.name}: index ${d} at element ${k} is ${got[k]}, not ${want[k]}`);
    });
  }
});
