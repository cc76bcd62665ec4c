/**
 * Loop fusion on wasm (kernels/lowering/loop_fusion.ts): a scan whose body is elementwise over
 * one space runs as one kernel iterating every step per element. For a moving average, an Euler
 * step of an oscillator and random elementwise bodies, over 0, 1, 7 and 100 steps, in float32 and
 * float64, forward and reverse, values and gradients: jitted on wasm it gives the bits of the
 * per-step loop (loop fusion switched off) and ref's values within tolerance, and the fused path
 * is taken.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Array, ConcreteArray, jit } from "../mod.ts";
import { loopFusion } from "../kernels/wasm/loops.ts";
import {
  ema,
  euler,
  type Fn,
  LENGTHS,
  scanCases,
  scanOf,
  scanShapes,
  withGrads,
} from "./util/scan_cases.ts";
import { difference, type Leaf } from "./fuzz/oracles.ts";
import { runs, stream } from "./util/arbitraries.ts";

type Float = "float32" | "float64";
/** An array of `shape` with data in [-1, 1] from `seed`, on `backend`. */
function seeded(shape: readonly number[], seed: number, dtype: Float, backend: string): Array {
  const next = stream(seed);
  const data = globalThis.Array.from(
    { length: shape.reduce((a, b) => a * b, 1) },
    () => next() * 2 - 1,
  );
  const typed = dtype === "float32" ? Float32Array.from(data) : Float64Array.from(data);
  return ConcreteArray.fromHost(typed, shape, dtype, backend);
}

/** `f` jitted on wasm with loop fusion on or off: its outputs and how many scans ran fused. */
function onWasm(f: Fn, args: Array[], fuse: boolean): { outs: Array[]; fused: number } {
  const before = loopFusion.fused, was = loopFusion.enabled;
  loopFusion.enabled = fuse;
  try {
    const outs = jit(f, { backend: "wasm", compile: "sync" })(...args) as Array[];
    return { outs, fused: loopFusion.fused - before };
  } finally {
    loopFusion.enabled = was;
  }
}

const data = (x: Array) => x.concrete("loop fusion test").dataSync();

function leaf(x: Array): Leaf {
  return { data: Float64Array.from(data(x), Number), shape: [...x.shape], dtype: x.dtype };
}

/** Throws unless `got` and `want` hold the same bits. */
function sameBits(got: Array[], want: Array[], what: string): void {
  assert.equal(got.length, want.length, what);
  got.forEach((g, j) => {
    const a = data(g), b = data(want[j]);
    const bytes = (x: typeof a) => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
    const [ba, bb] = [bytes(a), bytes(b)];
    const i = ba.findIndex((v, k) => v !== bb[k]);
    if (i >= 0 || ba.length !== bb.length) {
      const e = Math.floor(i / (ba.length / a.length));
      throw new Error(`${what}: output ${j} element ${e} is ${a[e]} fused, ${b[e]} per step`);
    }
  });
}

/**
 * Checks `f` on `args` (host data on ref): jitted on wasm fused equals the per-step loop bit for
 * bit and ref within `float`'s tolerance; returns how many scans ran fused.
 */
function check(f: Fn, args: Array[], float: Float, what: string): number {
  const wasm = args.map((a) => ConcreteArray.fromHost(data(a), a.shape, a.dtype, "wasm"));
  const fused = onWasm(f, wasm, true);
  const stepwise = onWasm(f, wasm, false);
  assert.equal(stepwise.fused, 0, what);
  sameBits(fused.outs, stepwise.outs, what);
  const want = f(...args);
  const d = difference(fused.outs.map(leaf), want.map(leaf), float);
  if (d) throw new Error(`${what}, against ref: ${d}`);
  return fused.fused;
}

for (const float of ["float32", "float64"] as const) {
  Deno.test(`a moving average runs as one loop kernel, with the per-step bits (${float})`, () => {
    for (const steps of LENGTHS) {
      for (const reverse of [false, true]) {
        const args = [seeded([21], 1, float, "ref"), seeded([steps, 21], 2, float, "ref")];
        const what = `${float}, ${steps} steps, reverse ${reverse}`;
        assert.equal(check(ema(reverse), args, float, what), 1, what);
        // The gradient: the forward scan and its transpose, each one loop kernel.
        assert.equal(check(withGrads(ema(reverse), 2), args, float, `${what}, grad`), 2, what);
      }
    }
  });

  Deno.test(`a long loop over many elements splits them over threads (${float})`, () => {
    // 4096 elements times 100 steps: enough work for every thread to run a range of elements.
    const args = [seeded([4096], 3, float, "ref"), seeded([100, 4096], 4, float, "ref")];
    assert.equal(check(ema(false), args, float, float), 1);
  });

  Deno.test(`an Euler step of an oscillator runs as one loop kernel (${float})`, () => {
    for (const steps of LENGTHS) {
      const args = [1, 2, 3].map((s) => seeded([37], s, float, "ref"));
      const what = `${float}, ${steps} steps`;
      assert.equal(check(euler(steps, false), args, float, what), 1, what);
      assert.ok(check(withGrads(euler(steps, true), 3), args, float, `${what}, grad`) >= 1, what);
    }
  });
}

for (const float of ["float32", "float64"] as const) {
  Deno.test(`property: random elementwise scans fused give the per-step bits and ref's values (${float})`, () => {
    let fused = 0, total = 0;
    fc.assert(
      fc.property(scanCases(float), (c) => {
        for (const steps of LENGTHS) {
          const args = scanShapes(c, steps).map((s, i) => seeded(s, c.seed + i, float, "ref"));
          const f = scanOf(c, steps);
          fused += check(f, args, float, `${steps} steps`) > 0 ? 1 : 0;
          check(withGrads(f, args.length), args, float, `${steps} steps, grad`);
          total++;
        }
      }),
      runs(6),
    );
    // Most random bodies here are elementwise; some (a softmax, a flip) are not.
    console.log(`${fused} of ${total} scans ran fused`);
    assert.ok(fused >= total / 3, `${fused} of ${total} scans ran fused`);
  });
}
