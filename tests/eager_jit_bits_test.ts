/**
 * Eager and jit run the same math on wasm: every float elementwise primitive gives the same bits
 * in the prebuilt eager kernel and in a fused jit kernel, in the fused kernel's vector loop, its
 * scalar remainder and a kernel too short to vectorise.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Array, type ConcreteArray, jit, numpy as np, toBackend } from "../mod.ts";
import { jitCallCounts } from "../kernels/wasm/jit_executor.ts";

type Unary = (x: Array) => Array;
type Binary = (x: Array, y: Array) => Array;

const UNARY: Record<string, Unary> = {
  exp: np.exp,
  expm1: np.expm1,
  log: (x) => np.log(np.abs(x)),
  log1p: (x) => np.log1p(np.abs(x)),
  tanh: np.tanh,
  logistic: np.sigmoid,
  erf: np.erf,
  erf_inv: (x) => np.erfInv(np.divide(x, 40)),
  sin: np.sin,
  cos: np.cos,
  sqrt: (x) => np.sqrt(np.abs(x)),
  rsqrt: (x) => lax_rsqrt(np.abs(x)),
  floor: np.floor,
  ceil: np.ceil,
  round: np.round,
  sign: np.sign,
  abs: np.abs,
  neg: np.negative,
};

const BINARY: Record<string, Binary> = {
  add: np.add,
  sub: np.subtract,
  mul: np.multiply,
  div: np.divide,
  pow: (x, y) => np.power(np.abs(x), np.divide(y, 10)),
  atan2: np.arctan2,
  rem: np.remainder,
  max: np.maximum,
  min: np.minimum,
};

/** Jit options: compiled at once, for wasm, whatever the default backend (CI also runs on ref). */
const WASM = { compile: "sync", backend: "wasm" } as const;

/** `a` placed on wasm, so that its eager ops run the prebuilt wasm kernels. */
const onWasm = (a: Array): Array => toBackend(a, "wasm");

function lax_rsqrt(x: Array): Array {
  return np.reciprocal(np.sqrt(x));
}

function bits(a: Array): Uint32Array {
  const d = (a as ConcreteArray).dataSync() as Float32Array | Float64Array;
  return new Uint32Array(d.buffer, d.byteOffset, d.byteLength / 4);
}

function assertSameBits(eager: Array, jitted: Array, what: string, xs: number[]): void {
  const [e, j] = [bits(eager), bits(jitted)];
  const values = (eager as ConcreteArray).dataSync();
  const got = (jitted as ConcreteArray).dataSync();
  const words = e.length / values.length;
  for (let w = 0; w < e.length; w++) {
    const i = Math.floor(w / words);
    if (e[w] !== j[w] && !(Number.isNaN(values[i]) && Number.isNaN(got[i]))) {
      assert.fail(`${what} at x = ${xs[i]}: eager ${values[i]}, jit ${got[i]}`);
    }
  }
}

/** Float32 inputs: wide magnitudes, near zero, halves and specials. */
const float32 = fc.oneof(
  fc.float({ min: -100, max: 100, noNaN: true }),
  fc.float({ min: -3, max: 3, noNaN: true }),
  fc.constantFrom(0, -0, 0.5, -0.5, 1.5, 2.5, Infinity, -Infinity, NaN, 1e-30, 88.7, -104),
);

/**
 * Lengths giving a vector loop only (8), a vector loop and a scalar remainder (7), and a kernel
 * too short to vectorise (a [3, 3] space, whose innermost axis is shorter than four).
 */
const SHAPES: number[][] = [[8], [7], [3, 3]];

const inputs = (n: number) => fc.array(float32, { minLength: n, maxLength: n });

Deno.test("float32 unary primitives: eager and jit give the same bits", async (t) => {
  for (const [name, f] of Object.entries(UNARY)) {
    await t.step(name, () => {
      const jitted = jit(f, WASM);
      for (const shape of SHAPES) {
        const n = shape.reduce((a, b) => a * b, 1);
        fc.assert(
          fc.property(inputs(n), (xs) => {
            const x = onWasm(np.reshape(np.array(xs, "float32"), shape));
            const before = jitCallCounts.compiled;
            const out = jitted(x);
            assert.equal(jitCallCounts.compiled, before + 1, `${name} ran compiled`);
            assertSameBits(f(x), out, `${name} on [${shape}]`, xs);
          }),
          { numRuns: 60 },
        );
      }
    });
  }
});

Deno.test("float64 unary primitives: eager and jit give the same bits", async (t) => {
  for (const [name, f] of Object.entries(UNARY)) {
    await t.step(name, () => {
      const jitted = jit(f, WASM);
      fc.assert(
        fc.property(inputs(7), (xs) => {
          const x = onWasm(np.array(xs, "float64"));
          assertSameBits(f(x), jitted(x), `${name} (float64)`, xs);
        }),
        { numRuns: 15 },
      );
    });
  }
});

Deno.test("float32 binary primitives: eager and jit give the same bits", async (t) => {
  for (const [name, f] of Object.entries(BINARY)) {
    await t.step(name, () => {
      const jitted = jit(f, WASM);
      for (const shape of SHAPES) {
        const n = shape.reduce((a, b) => a * b, 1);
        fc.assert(
          fc.property(inputs(n), inputs(n), (xs, ys) => {
            const x = onWasm(np.reshape(np.array(xs, "float32"), shape));
            const y = onWasm(np.reshape(np.array(ys, "float32"), shape));
            assertSameBits(f(x, y), jitted(x, y), `${name} on [${shape}]`, xs);
          }),
          { numRuns: 40 },
        );
      }
    });
  }
});

Deno.test("a fused chain of transcendentals equals the eager ops one by one, bit for bit", () => {
  const gelu = (x: Array) =>
    x.mul(0.5).mul(np.tanh(x.add(x.mul(x).mul(x).mul(0.044715)).mul(0.7978846)).add(1));
  const softmax = (x: Array) => {
    const e = np.exp(x.sub(np.max(x, -1, true)));
    return e.div(np.sum(e, -1, true));
  };
  fc.assert(
    fc.property(inputs(4 * 13), (xs) => {
      const finite = xs.map((v) => Number.isFinite(v) ? v : 1);
      const x = onWasm(np.reshape(np.array(finite, "float32"), [4, 13]));
      assertSameBits(gelu(x), jit(gelu, WASM)(x), "gelu", xs);
      assertSameBits(
        np.exp(x.sub(3)),
        jit((y: Array) => np.exp(y.sub(3)), WASM)(x),
        "exp chain",
        xs,
      );
      // softmax's sum runs in a different order fused; its exp must still agree.
      const s = jit(softmax, WASM)(x);
      assert.ok(np.allclose(s, softmax(x), { rtol: 1e-6, atol: 1e-7 }));
    }),
    { numRuns: 20 },
  );
});
