/**
 * Gemm epilogues: a dot_general's bias add and relu run inside its gemm (kind "gemm" kernels of
 * a jitted wasm program) and give exactly what the same equations give one by one.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type Array,
  type DType,
  grad,
  jit,
  lax,
  numpy as np,
  setThreads,
  toBackend,
} from "../mod.ts";
import { fuse, programToString } from "../kernels/lowering/fusion.ts";
import { jitCallCounts } from "../kernels/wasm/jit_executor.ts";
import { assertClose } from "./util/assert_close.ts";
import { withDefaultBackend } from "../core/backend.ts";
import { assertEachEquationOnce, assertInputsProducedEarlier } from "./util/program_checks.ts";

/** How the addend of a case is laid out against the product `[batch?, m, n]`. */
type AddendKind = "columns" | "rows" | "full" | "scalar";

/** `act(x · y + e)` for x `[batch?, m, k]`, y `[batch?, k, n]` (batch 0: none). */
interface Case {
  m: number;
  n: number;
  k: number;
  batch: number;
  addend: AddendKind;
  relu: boolean;
  dtype: DType;
  threads: number;
}

const cases: fc.Arbitrary<Case> = fc.record({
  m: fc.integer({ min: 1, max: 40 }),
  n: fc.integer({ min: 1, max: 40 }),
  k: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.constant(3000)),
  batch: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 })),
  addend: fc.constantFrom<AddendKind>("columns", "rows", "full", "scalar"),
  relu: fc.boolean(),
  dtype: fc.constantFrom<DType>("float32", "float64"),
  threads: fc.constantFrom(1, 2),
});

/** A small product of great depth on two threads: its depth is split and summed first. */
const depthSplit: [Case][] = (["columns", "rows"] as const).flatMap((addend) =>
  [false, true].map((relu): [Case] => [
    { m: 20, n: 30, k: 3000, batch: 0, addend, relu, dtype: "float32", threads: 2 },
  ])
);

/** Products of more rows than a packed block of A holds: a full addend is read per block. */
const tallFullAddend: [Case][] = (["float32", "float64"] as const).map((dtype): [Case] => [
  { m: 200, n: 20, k: 40, batch: 2, addend: "full", relu: true, dtype, threads: 1 },
]);

function addendShape(kind: AddendKind, out: number[]): number[] {
  const [m, n] = out.slice(-2);
  return { columns: [n], rows: [m, 1], full: out, scalar: [] }[kind];
}

function values(shape: number[], seed: number, dtype: DType): Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = Float64Array.from({ length: size }, (_, i) => Math.sin(seed * 7.1 + i * 1.37));
  return np.array(data, dtype).reshape(shape);
}

Deno.test("a dense layer's bias add and relu join its dot_general in one gemm kernel", () => {
  const x = np.zeros([4, 6]), w = np.zeros([6, 5]), b = np.zeros([5]);
  const layer = (w: Array, b: Array) => np.relu(x.matmul(w).add(b));
  const program = fuse(jit(layer).lower(w, b).jaxpr, { gemmEpilogues: true });
  const text = programToString(program);
  assert.equal(program.kernels.length, 1, text);
  assert.match(text, /^k0 gemm\(.*dot_general.*add.*max/, text);
  assert.equal(fuse(jit(layer).lower(w, b).jaxpr).kernels.length > 1, true, "opt-in only");
});

Deno.test("a pre-activation the gradient also reads keeps only the bias in the gemm", () => {
  const x = np.zeros([4, 6]), w = np.zeros([6, 5]), b = np.zeros([5]);
  const loss = (w: Array, b: Array) => np.sum(np.relu(x.matmul(w).add(b)));
  const jaxpr = jit(grad(loss, { argnums: [0, 1] })).lower(w, b).jaxpr;
  const program = fuse(jaxpr, { gemmEpilogues: true });
  const text = programToString(program);
  const gemms = program.kernels.filter((k) => k.kind === "gemm");
  assert.equal(gemms.length, 1, text);
  assert.deepEqual(gemms[0].eqns.map((e) => e.prim.name), [
    "dot_general",
    "broadcast_in_dim",
    "add",
  ]);
  assertEachEquationOnce(program);
});

Deno.test("gemm epilogues equal the equations run one by one, for any addend layout", () => {
  fc.assert(
    fc.property(
      cases,
      ({ m, n, k, batch, addend, relu, dtype, threads }) => {
        const lead = batch ? [batch] : [];
        const out = [...lead, m, n];
        const x = values([...lead, m, k], 1, dtype);
        const y = values([...lead, k, n], 2, dtype);
        const e = values(addendShape(addend, out), 3, dtype);
        const f = (x: Array, y: Array, e: Array) => {
          const z = np.matmul(x, y).add(e);
          return relu ? np.maximum(z, 0) : z;
        };
        setThreads(threads);
        try {
          const [wx, wy, we] = toBackend([x, y, e], "wasm") as Array[];
          const before = jitCallCounts.compiled;
          const got = withDefaultBackend("wasm", () => jit(f, { compile: "sync" })(wx, wy, we));
          assert.equal(jitCallCounts.compiled, before + 1, "ran as a compiled program");
          const eager = withDefaultBackend("wasm", () => f(wx, wy, we));
          assert.deepEqual(got.toArray(), eager.toArray());
          const [rx, ry, re] = toBackend([x, y, e], "ref") as Array[];
          const tol = dtype === "float32"
            ? { rtol: 1e-4, atol: 1e-4 }
            : { rtol: 1e-12, atol: 1e-12 };
          assertClose(got, f(rx, ry, re), tol);
        } finally {
          setThreads("auto");
        }
      },
    ),
    { numRuns: 40, seed: 11, examples: [...depthSplit, ...tallFullAddend] },
  );
});

Deno.test("a bias add after a transposed or reshaped product still joins its gemm", async (t) => {
  type Layout = [string, (x: Array, y: Array, e: Array) => Array, number[][]];
  const cases: Layout[] = [
    ["transposed product, bias along its rows", (x, y, e) => np.transpose(x.matmul(y)).add(e), [
      [9, 7],
      [7, 11],
      [11, 1],
    ]],
    [
      "transposed batched product, relu",
      (x, y, e) => np.maximum(np.transpose(x.matmul(y), [2, 0, 1]).add(e), 0),
      [[2, 9, 7], [2, 7, 11], [9]],
    ],
    ["unit axis inserted", (x, y, e) => np.reshape(x.matmul(y), [9, 1, 11]).add(e), [
      [9, 7],
      [7, 11],
      [11],
    ]],
  ];
  for (const [name, f, shapes] of cases) {
    await t.step(name, () => {
      for (const threads of [1, 2]) {
        setThreads(threads);
        try {
          const inputs = shapes.map((s, i) => values(s, i + 1, "float32"));
          const [x, y, e] = toBackend(inputs, "wasm") as Array[];
          const jitted = jit(f, { compile: "sync" });
          const program = withDefaultBackend("wasm", () => jitted.lower(x, y, e).compiled.program);
          assert.match(program, /^k0 gemm\(/, program);
          assert.equal(program.split("\n").length, 1, program);
          const got = withDefaultBackend("wasm", () => jitted(x, y, e));
          assert.deepEqual(got.toArray(), withDefaultBackend("wasm", () => f(x, y, e)).toArray());
          const [rx, ry, re] = toBackend(inputs, "ref") as Array[];
          assertClose(got, f(rx, ry, re), { rtol: 1e-5, atol: 1e-5 });
        } finally {
          setThreads("auto");
        }
      }
    });
  }
});

Deno.test("a convolution's bias add joins its gemm through the transpose to NCHW", () => {
  const x = values([4, 3, 9, 9], 1, "float32");
  const w = values([5, 3, 3, 3], 2, "float32");
  const b = values([5], 3, "float32");
  const conv = (x: Array, w: Array, b: Array) => lax.conv(x, w).add(np.reshape(b, [1, 5, 1, 1]));
  const [wx, ww, wb] = toBackend([x, w, b], "wasm") as Array[];
  const jitted = jit(conv, { compile: "sync" });
  const program = withDefaultBackend("wasm", () => jitted.lower(wx, ww, wb).compiled.program);
  assert.match(program, /gemm\(.*dot_general.*transpose.*add/, program);
  const got = withDefaultBackend("wasm", () => jitted(wx, ww, wb));
  assert.deepEqual(got.toArray(), withDefaultBackend("wasm", () => conv(wx, ww, wb)).toArray());
  const [rx, rw, rb] = toBackend([x, w, b], "ref") as Array[];
  assertClose(got, conv(rx, rw, rb), { rtol: 1e-5, atol: 1e-5 });
});

Deno.test("a reshaped bias whose broadcast another kernel also reads stays correct", () => {
  const f = (x: Array, w: Array, b: Array, y: Array) => {
    const row = np.reshape(b, [1, 5]);
    return [x.matmul(w).add(row), y.mul(row)];
  };
  const inputs = [[4, 6], [6, 5], [5], [4, 5]].map((s, i) => values(s, i + 1, "float32"));
  const wasm = toBackend(inputs, "wasm") as Array[];
  const got = withDefaultBackend("wasm", () => jit(f, { compile: "sync" })(...wasm));
  const want = withDefaultBackend("wasm", () => f(...(wasm as [Array, Array, Array, Array])));
  got.forEach((g: Array, i: number) => assert.deepEqual(g.toArray(), want[i].toArray()));
});

Deno.test("with gemm epilogues every equation runs once, after what it reads", () => {
  const conv = (x: Array, w: Array, b: Array) =>
    np.sum(np.relu(lax.conv(x, w).add(np.reshape(b, [1, 5, 1, 1]))));
  const dense = (x: Array, w: Array, b: Array) => np.sum(np.relu(x.matmul(w).add(b)));
  const jaxprs = [
    jit(grad(conv, { argnums: [1, 2] })).lower(
      np.ones([2, 3, 7, 7]),
      np.ones([5, 3, 3, 3]),
      np.ones([5]),
    )
      .jaxpr,
    jit(grad(dense, { argnums: [1, 2] })).lower(np.ones([4, 6]), np.ones([6, 5]), np.ones([5]))
      .jaxpr,
  ];
  for (const jaxpr of jaxprs) {
    const program = fuse(jaxpr, { gemmEpilogues: true });
    const text = programToString(program);
    assert.ok(program.kernels.some((k) => k.kind === "gemm"), text);
    assertEachEquationOnce(program);
    assertInputsProducedEarlier(program);
  }
});
