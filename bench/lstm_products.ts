/**
 * A floor under the LSTM training step: the step's matrix products alone, with its shapes, on
 * wasm with 1 thread. Per time step the two recurrent products (`h Wh`, then the cotangent's
 * `dz Whᵀ`) run in a `lax.scan`, one after the other through a carry (kept bounded by a `tanh`)
 * as in the step; the products over all steps (the input projection and its weight gradient,
 * the output projection and its two gradients, the hoisted recurrent weight gradient `Hᵀ dZ`)
 * run once. Any loop form
 * built on these kernels takes at least this long, so the line bounds what the scan can gain over
 * the unrolled step. Its result is checked against the ref backend before it is timed.
 * @module
 */
import { type Array, ConcreteArray, jit, lax, numpy as np, setThreads, toBackend } from "../mod.ts";
import type { LstmCase } from "./cases.ts";
import { summarize } from "./timing.ts";

/** Every product of the LSTM step of `c`, each summed to a scalar. */
function products(c: LstmCase) {
  return (
    x: Array,
    wx: Array,
    wh: Array,
    wy: Array,
    dz: Array,
    hs: Array,
    dy: Array,
    h0: Array,
  ): Array[] => {
    const recurrent = (
      h: Array,
    ): [Array, null] => [np.tanh(np.matmul(np.matmul(h, wh), wh.T).mul(0.01)), null];
    const [h] = lax.scan(recurrent, h0, null, { length: c.seq });
    return [
      np.matmul(x, wx),
      np.matmul(x.T, dz),
      h as Array,
      np.matmul(hs.T, dz),
      np.matmul(hs, wy),
      np.matmul(hs.T, dy),
      np.matmul(dy, wy.T),
    ].map((p) => np.sum(p));
  };
}

/** The products' operands for `c`, deterministic, on wasm. */
function operands(c: LstmCase): Array[] {
  const rows = c.seq * c.batch, z = 4 * c.hidden;
  const shapes = [
    [rows, c.vocab],
    [c.vocab, z],
    [c.hidden, z],
    [c.hidden, c.vocab],
    [rows, z],
    [
      rows,
      c.hidden,
    ],
    [rows, c.vocab],
    [c.batch, c.hidden],
  ];
  return shapes.map((shape, s) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + s) * 0.1);
    return ConcreteArray.fromHost(data, shape, "float32", "wasm");
  });
}

/**
 * The line for the bench's output: the median time of the products of the step of `c` (over
 * `samples` calls after two warm-up calls), and the scan step's median `scanMs` over it; or why
 * it was not timed (its result disagreed with ref: then also a mismatch).
 */
export function lstmProductsLine(
  c: LstmCase,
  samples: number,
  scanMs: number | undefined,
): { line: string; mismatch?: string } {
  const args = operands(c);
  const f = jit(products(c), { backend: "wasm", compile: "sync" });
  const want = jit(products(c), { backend: "ref" })(...args.map((a) => toBackend(a, "ref")));
  setThreads(1);
  const got = f(...args) as ConcreteArray[];
  for (const [i, g] of got.entries()) {
    const a = g.dataSync()[0], b = (want as ConcreteArray[])[i].dataSync()[0];
    if (!(Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b)))) {
      const mismatch = `LSTM products alone: product ${i} sums to ${a} on wasm, ${b} on ref`;
      return { line: mismatch, mismatch };
    }
  }
  const call = () => (f(...args) as ConcreteArray[]).forEach((y) => y.dataSync());
  call();
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    call();
    times.push(performance.now() - t0);
  }
  const { median } = summarize(times, 1);
  const against = scanMs === undefined
    ? ""
    : `; the scan step takes ${(scanMs / median).toFixed(2)}x that`;
  return {
    line: `the step's matrix products alone (wasm, 1 thread, checked against ref): ` +
      `${median.toFixed(1)} ms${against}`,
  };
}
