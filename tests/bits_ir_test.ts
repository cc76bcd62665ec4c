/**
 * The bit primitives (xor and the three shifts of int32 words, bitcast) and threefry2x32 as
 * kernel IR (kernels/lowering/lower_elementwise.ts, lower_threefry.ts): on wasm eagerly (the
 * prebuilt one-op kernels rendered from the IR), jitted on wasm fused with their neighbours into
 * one loop (shift amounts loaded, or constant), and on webgpu eagerly and jitted (when there is
 * an adapter), they equal the ref backend (the hand-written oracle) bit for bit, over random
 * int32 words and shift amounts that include negative ones, 0, 31, 32 and large ones, at lengths
 * that run the wide, four-lane and scalar loops. threefry2x32 gives the Random123 known answers
 * everywhere, and `random.uniform` and `random.normal` jitted on wasm are one fused kernel.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type Array,
  ConcreteArray,
  initWebGPU,
  jit,
  lax,
  numpy as np,
  random,
  toBackend,
} from "../mod.ts";
import { full } from "../core/primitives/constants.ts";
import { threefry2x32 } from "../core/primitives/threefry.ts";
import { withDefaultBackend } from "../core/backend.ts";

const gpu = await initWebGPU();
if (!gpu) console.warn("webgpu cases of bits_ir_test skipped: this runtime has no WebGPU adapter");

type Word = (x: Array, y: Array) => Array;

/** The word operations, by primitive name. */
const WORD_OPS: [string, Word][] = [
  ["xor", lax.xor],
  ["shift_left", lax.shiftLeft],
  ["shift_right_logical", lax.shiftRightLogical],
  ["shift_right_arithmetic", lax.shiftRightArithmetic],
];

/** Shift amounts at and around the edges of [0, 31], and anywhere in int32. */
const EDGES = [-(2 ** 31), -33, -32, -31, -1, 0, 1, 9, 31, 32, 33, 64, 1000, 2 ** 31 - 1];
const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const amount = fc.oneof(fc.constantFrom(...EDGES), fc.integer({ min: -40, max: 40 }), int32);
/** Pairs of a word and a shift amount, 1 to 40 of them (wide, four-lane and scalar loops). */
const pairs = fc.array(fc.tuple(int32, amount), { minLength: 1, maxLength: 40 });

/** An int32 array of `xs` on `backend`. */
const words = (xs: readonly number[], backend: string): Array =>
  ConcreteArray.fromHost(Int32Array.from(xs), [xs.length], "int32", backend);

/** The outputs of `f` at int32 arrays `columns` on `backend`, read back. */
async function run(
  backend: string,
  columns: readonly (readonly number[])[],
  f: (...xs: Array[]) => Array[],
): Promise<number[][]> {
  const outs = withDefaultBackend(backend, () => f(...columns.map((c) => words(c, backend))));
  return await Promise.all(outs.map(async (o) => globalThis.Array.from(await o.read(), Number)));
}

/** `f` around word operation `op`: neighbours before and after it, to fuse with. */
const withNeighbours = (op: Word) => (x: Array, s: Array): Array[] => {
  const y = lax.add(x, full(x.shape, 0x01234567, "int32"));
  return [lax.xor(op(y, s), x)];
};

/** The backends and modes checked, with how each runs `f`. */
function targets(): [
  string,
  string,
  (f: (...xs: Array[]) => Array[]) => (...xs: Array[]) => Array[],
][] {
  const eager = (f: (...xs: Array[]) => Array[]) => f;
  const jitted = (backend: string) => (f: (...xs: Array[]) => Array[]) =>
    jit(f, { backend, compile: "sync" }) as unknown as (...xs: Array[]) => Array[];
  return [
    ["wasm", "eager", eager],
    ["wasm", "jit", jitted("wasm")],
    ...(gpu
      ? [["webgpu", "eager", eager], ["webgpu", "jit", jitted("webgpu")]] as [
        string,
        string,
        typeof eager,
      ][]
      : []),
  ];
}

Deno.test("xor and the shifts equal ref on every backend, alone and fused, over shift amounts outside [0, 31] too", async (t) => {
  for (const [name, op] of WORD_OPS) {
    for (const [backend, mode, wrap] of targets()) {
      await t.step(`${name} on ${backend} (${mode})`, async () => {
        await fc.assert(
          fc.asyncProperty(pairs, async (ps) => {
            const columns = [ps.map((p) => p[0]), ps.map((p) => p[1])];
            for (const f of [(x: Array, s: Array) => [op(x, s)], withNeighbours(op)]) {
              const want = await run("ref", columns, f);
              const got = await run(backend, columns, wrap(f));
              assert.deepEqual(got, want, `${name} of ${JSON.stringify(ps)}`);
            }
          }),
          { numRuns: 40 },
        );
      });
    }
  }
});

Deno.test("shifts by a constant amount (a shift node, or every bit out) equal ref under jit", async () => {
  const xs = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 0x12345678, -0x12345678, 7, -7, 0x40000000, 5];
  for (const [name, op] of WORD_OPS.slice(1)) {
    for (const s of EDGES) {
      const f = (x: Array) => [lax.add(op(x, full(x.shape, s, "int32")), x)];
      const want = await run("ref", [xs], f);
      for (const [backend, mode, wrap] of targets().filter(([, m]) => m === "jit")) {
        const got = await run(backend, [xs], wrap(f));
        assert.deepEqual(got, want, `${name} by ${s} on ${backend} (${mode})`);
      }
    }
  }
});

Deno.test("a fused chain of word operations is one wasm kernel, its shifts by constants vector instructions", () => {
  const x = toBackend(np.array(Int32Array.from({ length: 37 }, (_, i) => i * 0x9e3779b9)), "wasm");
  const f = (w: Array) => {
    const s = full(w.shape, 13, "int32");
    return lax.xor(lax.shiftLeft(w, s), lax.shiftRightLogical(w, full(w.shape, 19, "int32")));
  };
  const compiled = jit(f, { backend: "wasm", compile: "sync" }).lower(x).compiled;
  assert.equal(compiled.program?.split("\n").length, 1, compiled.program);
  assert.match(compiled.assemblyscript, /i32x4\.shl\(t\d+_0, 13\)/);
  assert.match(compiled.assemblyscript, /i32x4\.shr_u\(t\d+_0, 19\)/);
  assert.match(compiled.assemblyscript, /v128\.xor/);
});

/** Random123's known answers for Threefry-2x32 (20 rounds): `[k0, k1, x0, x1] -> [y0, y1]`. */
const KNOWN_ANSWERS = [
  [[0, 0, 0, 0], [0x6b200159, 0x99ba4efe]],
  [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0x1cb996fc, 0xbb002be7]],
  [[0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3], [0xc4923a9c, 0x483df7a0]],
];

const cipher = (k0: Array, k1: Array, x0: Array, x1: Array) => threefry2x32(k0, k1, x0, x1);

Deno.test("threefry2x32 gives Random123's known answers and equals ref on every backend", async (t) => {
  for (const [backend, mode, wrap] of targets()) {
    await t.step(`${backend} (${mode})`, async () => {
      // Each known answer 21 times over: the wide, four-lane and scalar loops all compute one.
      const copies = (i: number) =>
        KNOWN_ANSWERS.flatMap(([input]) => globalThis.Array(21).fill(input[i] | 0));
      const [y0, y1] = await run(backend, [0, 1, 2, 3].map(copies), wrap(cipher));
      const want = (j: number) =>
        KNOWN_ANSWERS.flatMap(([, out]) => globalThis.Array(21).fill(out[j] | 0));
      assert.deepEqual(y0, want(0));
      assert.deepEqual(y1, want(1));
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(int32, int32, int32, int32), { minLength: 1, maxLength: 40 }),
          async (rows) => {
            const columns = [0, 1, 2, 3].map((i) => rows.map((r) => r[i]));
            // And fused with what random bits become: an xor of the two words, shifted, as floats.
            const uniform = (...xs: Array[]) => {
              const [a, b] = cipher(xs[0], xs[1], xs[2], xs[3]);
              const mantissa = lax.shiftRightLogical(lax.xor(a, b), full(a.shape, 9, "int32"));
              const bits = lax.or(mantissa, full(a.shape, 0x3f800000, "int32"));
              return [a, lax.bitcastConvertType(bits, "float32")];
            };
            for (const f of [cipher, uniform]) {
              assert.deepEqual(await run(backend, columns, wrap(f)), await run("ref", columns, f));
            }
          },
        ),
        { numRuns: 30 },
      );
    });
  }
});

/** The kernels of `program` that run threefry2x32 in a fused loop. */
const fusedCiphers = (program: string) =>
  program.split("\n").filter((l) => / fused\(/.test(l) && /threefry2x32/.test(l));

Deno.test({
  name:
    "random.uniform jitted on webgpu is one fused kernel after the key's words, with ref's bits",
  ignore: !gpu,
  fn: async () => {
    const key = random.key(99);
    const f = (k: Array) => random.uniform(k, [1001]);
    const onGpu = toBackend(key, "webgpu");
    const jitted = jit(f, { backend: "webgpu" });
    const program = jitted.lower(onGpu).compiled.program ?? "";
    assert.equal(fusedCiphers(program).length, 1, program);
    assert.match(fusedCiphers(program)[0], /bitcast_convert_type/, program);
    const want = withDefaultBackend("ref", () => f(key).toArray());
    assert.deepEqual(globalThis.Array.from(await jitted(onGpu).read()), want as number[]);
  },
});

Deno.test("random.uniform and random.normal jitted on wasm are one fused kernel after the key's words, with ref's bits", () => {
  const key = random.key(1234);
  const draws: [string, (k: Array) => Array][] = [
    ["uniform", (k) => random.uniform(k, [1001])],
    ["normal", (k) => random.normal(k, [1001])],
  ];
  for (const [name, f] of draws) {
    const onWasm = toBackend(key, "wasm");
    const jitted = jit(f, { backend: "wasm", compile: "sync" });
    const program = jitted.lower(onWasm).compiled.program ?? "";
    const fused = fusedCiphers(program);
    assert.equal(fused.length, 1, program);
    assert.match(fused[0], /bitcast_convert_type/, program);
    const want = withDefaultBackend("ref", () => f(key).toArray());
    if (name === "uniform") assert.deepEqual(jitted(onWasm).toArray(), want);
    else {
      // erf_inv is each backend's own float32 definition: the same to within its error.
      const got = jitted(onWasm).toArray() as number[];
      (want as number[]).forEach((w, i) => assert.ok(Math.abs(got[i] - w) <= 1e-5, `${i}`));
    }
  }
});
