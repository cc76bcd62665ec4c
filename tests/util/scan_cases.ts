/**
 * The scans the loop fusion tests run on every backend (tests/loop_fusion_test.ts on wasm,
 * tests/webgpu_loop_fusion_test.ts on webgpu): a moving average, an Euler step of an
 * oscillator, random elementwise bodies from the fuzzer's generator, and each with the
 * gradients of a loss weighing its outputs (which makes reverse scans).
 */
import fc from "fast-check";
import { type Array, grad, lax, numpy as np } from "../../mod.ts";
import {
  type Body,
  bodyFunction,
  bodyText,
  buildBody,
  floatInput,
  rawBody,
} from "../fuzz/bodies.ts";

/** A function of arrays returning arrays. */
export type Fn = (...xs: Array[]) => Array[];

/** The step counts every case runs: none, one, a few and many. */
export const LENGTHS = [0, 1, 7, 100];

/**
 * `f`'s outputs, then the gradient by every argument of a loss weighing each output (weights in
 * its dtype: a float32 sine differs by an ulp between ref and wasm, beyond float64's tolerance).
 */
export function withGrads(f: Fn, n: number): Fn {
  const loss = (...xs: Array[]) =>
    f(...xs).map((y, j) =>
      np.sum(np.multiply(y, np.sin(np.arange(y.size).reshape([...y.shape]).add(j).astype(y.dtype))))
    )
      .reduce((a, b) => np.add(a, b));
  const g = grad(loss, { argnums: globalThis.Array.from({ length: n }, (_, i) => i) });
  return (...xs) => [...f(...xs), ...(g(...xs) as Array[])];
}

/** Exponential moving average of `xs` from `c0`, and the average at every step. */
export const ema = (reverse: boolean): Fn => (c0, xs) => {
  const [c, ys] = lax.scan(
    (c: Array, x: Array) => {
      const next = c.mul(0.9).add(x.mul(0.1));
      return [next, next];
    },
    c0,
    xs,
    { reverse },
  );
  return [c as Array, ys as Array];
};

/** `steps` Euler steps of a damped oscillator driven by `w`: position and velocity. */
export const euler = (steps: number, reverse: boolean): Fn => (x0, v0, w) => {
  const dt = 0.01;
  const [[x, v], trace] = lax.scan(
    ([x, v]: Array[]) => {
      const a = np.sin(w).sub(x.mul(4)).sub(v.mul(0.3));
      const nx = x.add(v.mul(dt)), nv = v.add(a.mul(dt));
      return [[nx, nv], nx];
    },
    [x0, v0],
    null,
    { length: steps, reverse },
  );
  return [x, v, trace as Array];
};

/** A random elementwise scan: its body over carries, slices of xs and closed-over arrays. */
export interface ScanCase {
  /** The body, from the fuzzer's generator. */
  body: Body;
  /** The space every carry, slice and closed-over array has. */
  shape: number[];
  /** How many carries, scanned inputs and closed-over arrays. */
  counts: [number, number, number];
  /** Whether the scan runs from the last step. */
  reverse: boolean;
  /** Seed of the operands' data. */
  seed: number;
}

/** Shapes of the space a random body runs over (a remainder after the vector loop, or none). */
const SPACES = [[], [3], [6], [2, 5], [21]];

/** Random elementwise scans in `float`. */
export function scanCases(float: "float32" | "float64"): fc.Arbitrary<ScanCase> {
  return fc.record({
    raw: rawBody,
    space: fc.nat(SPACES.length - 1),
    counts: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.nat(2), fc.nat(1)),
    reverse: fc.boolean(),
    seed: fc.nat(1 << 20),
  }).map(({ raw, space, counts, reverse, seed }) => {
    const shape = SPACES[space];
    const n = counts[0] + counts[1] + counts[2];
    const inputs = globalThis.Array.from({ length: n }, () => floatInput(shape, float));
    const body = buildBody(raw, {
      inputs,
      fitted: globalThis.Array.from({ length: counts[0] }, () => shape),
      limit: 1,
      sinks: true,
      feedback: globalThis.Array.from({ length: counts[0] }, (_, k) => k),
      // Values over the whole space only: elementwise, mostly.
      accept: (b) => b.type.shape.join() === shape.join(),
    }, float);
    const c = { body, shape, counts, reverse, seed };
    return Object.assign(c, {
      [fc.toStringMethod]: () =>
        `${bodyText(body, "body")}\n// space [${shape}], carries/xs/consts ${counts}, ` +
        `reverse ${reverse}, seed ${seed}`,
    });
  });
}

/** The scan of a case's body over `steps` steps, as a function of its carries, xs and consts. */
export function scanOf(c: ScanCase, steps: number): Fn {
  const f = bodyFunction(c.body);
  const [k1, k2] = c.counts;
  return (...a) => {
    const [c0, xs, w] = [a.slice(0, k1), a.slice(k1, k1 + k2), a.slice(k1 + k2)];
    const [cT, ys] = lax.scan(
      (carry: Array[], x: Array[] | null) => {
        const out = f(...carry, ...(x ?? []), ...w);
        return [out.slice(0, k1), out.slice(k1)];
      },
      c0,
      k2 ? xs : null,
      { length: steps, reverse: c.reverse },
    );
    return [...cT, ...ys];
  };
}

/** The shapes of a case's operands over `steps` steps: carries, stacked xs, closed-over arrays. */
export function scanShapes(c: ScanCase, steps: number): number[][] {
  const [k1, k2, k3] = c.counts;
  return [
    ...globalThis.Array(k1).fill(c.shape),
    ...globalThis.Array(k2).fill([steps, ...c.shape]),
    ...globalThis.Array(k3).fill(c.shape),
  ];
}
