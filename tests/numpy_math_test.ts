/**
 * The numpy math beyond the primitives (trig and hyperbolic functions, log2/log10, hypot,
 * fmod/remainder/floorDivide, NaN and infinity checks, isclose) against Math and host loops in
 * float64: values across the domain and at its edges (signed zeros, infinities, NaN), wasm
 * (eager and jitted) against ref, derivatives against central differences, and vmap.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Array, grad, jit, jvp, numpy as np, vmap } from "../mod.ts";
import { withDefaultBackend } from "../core/backend.ts";
import { assertClose } from "./util/assert_close.ts";
import { domains, runs, seededArray } from "./util/arbitraries.ts";
import { f64, hostData, inner, numericJvp } from "./util/finite_diff.ts";

/** Asserts `got` equals `want` elementwise within `ulps` relative steps, NaN and zero signs included. */
function assertUlps(got: ArrayLike<number>, want: ArrayLike<number>, ulps: number, what: string) {
  assert.equal(got.length, want.length, `${what}: lengths`);
  for (let i = 0; i < want.length; i++) {
    const a = got[i], b = want[i];
    const ok = Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)) ||
      (Number.isFinite(b) && Math.abs(a - b) <= ulps * 2.3e-16 * Math.abs(b));
    assert.ok(ok, `${what} element ${i}: ${a} vs ${b}`);
  }
}

/** `f` applied on the ref backend, wasm eagerly and wasm jitted, each as host numbers. */
function onEveryBackend(f: (...xs: Array[]) => Array, ...inputs: number[][]): Float64Array[] {
  const run = (name: string, g: (...xs: Array[]) => Array) =>
    withDefaultBackend(name, () => hostData(g(...inputs.map((v) => f64(v, [v.length])))));
  return [run("ref", f), run("wasm", f), run("wasm", jit(f, { compile: "sync" }))];
}

const BACKENDS = ["ref", "wasm eager", "wasm jit"];

/** Checks `f` of float64 inputs against `host` on every backend, within `ulps`. */
function againstHost(
  name: string,
  f: (...xs: Array[]) => Array,
  host: (...v: number[]) => number,
  ulps: number,
  ...inputs: number[][]
): void {
  const want = inputs[0].map((_, i) => host(...inputs.map((v) => v[i])));
  onEveryBackend(f, ...inputs).forEach((got, b) =>
    assertUlps(got, want, ulps, `${name} on ${BACKENDS[b]}`)
  );
}

const EDGES = [
  0,
  -0,
  1,
  -1,
  0.5,
  -0.5,
  1e-300,
  -1e-300,
  5e-324,
  1e300,
  -1e300,
  Infinity,
  -Infinity,
  NaN,
];
const grid = (n: number, lo: number, hi: number) =>
  globalThis.Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));

Deno.test("arctan2 matches Math.atan2 in every quadrant, on the axes, at signed zeros and infinities", () => {
  const ys = EDGES.flatMap((y) => EDGES.map(() => y)), xs = EDGES.flatMap(() => EDGES);
  againstHost("arctan2", np.arctan2, Math.atan2, 1, ys, xs);
  assert.ok(Object.is(np.arctan2(-0, 1).item(), -0));
  assert.equal(np.arctan2(0, -0).item(), Math.fround(Math.PI));
  assert.equal(np.arctan2(-Infinity, -Infinity).item(), Math.fround(-0.75 * Math.PI));
  // float32 rounds the float64 value, on both backends.
  const y = np.array([1, -2, 3e-30], "float32"), x = np.array([-3, -0.5, 7], "float32");
  const want = [1, -2, 3e-30].map((v, i) =>
    Math.fround(Math.atan2(Math.fround(v), [-3, -0.5, 7][i]))
  );
  for (const name of ["ref", "wasm"]) {
    withDefaultBackend(name, () => assert.deepEqual(np.arctan2(y, x).toArray(), want));
  }
});

Deno.test("inverse and hyperbolic functions, tan, log2 and log10 match Math to a few ulp", () => {
  const unit = [...grid(41, -1, 1), 1 - 1e-10, -1 + 1e-12, 1e-20, -0, 1.5, -2, NaN];
  againstHost("arcsin", np.arcsin, Math.asin, 4, unit);
  againstHost("arccos", np.arccos, Math.acos, 4, unit);
  const reals = [...grid(41, -20, 20), ...EDGES];
  againstHost("arctan", np.arctan, Math.atan, 2, reals);
  againstHost("tan", np.tan, Math.tan, 4, [...grid(41, -1.5, 1.5), 0, -0, 1e-300, 100]);
  const hyper = [
    ...grid(41, -30, 30),
    1e-10,
    -1e-10,
    1e-300,
    0,
    -0,
    709.5,
    710,
    -710,
    711,
    Infinity,
    -Infinity,
    NaN,
  ];
  againstHost("sinh", np.sinh, Math.sinh, 4, hyper);
  againstHost("cosh", np.cosh, Math.cosh, 4, hyper);
  const positive = [...grid(40, 0.01, 100), 8, 1024, 1e-300, 1e300, 1, 0, -0, -1, Infinity, NaN];
  againstHost("log2", np.log2, Math.log2, 2, positive);
  againstHost("log10", np.log10, Math.log10, 2, positive);
});

Deno.test("hypot neither overflows nor underflows, and an infinity wins over NaN", () => {
  const xs = [3, 1e300, 1e-300, 0, -0, -5, Infinity, NaN, -Infinity, 2];
  const ys = [4, 1e300, 1e-300, 0, 0, 12, NaN, Infinity, 1, -0];
  againstHost("hypot", np.hypot, Math.hypot, 2, xs, ys);
});

/** Python's `%`: the remainder with the sign of the divisor. */
function pyMod(x: number, y: number): number {
  const r = x % y;
  return r !== 0 && (r < 0) !== (y < 0) ? r + y : r;
}

Deno.test("fmod, remainder and floorDivide follow C and Python, exactly", () => {
  const xs = [5.5, -5.5, 5.5, -5.5, 7, -7, 0, -0, 1e300, 1e-300, 3, Infinity, 4, NaN];
  const ys = [2, 2, -2, -2, 7, 7, 3, 3, 3, 7e-301, Infinity, 2, 0, 1];
  againstHost("fmod", np.fmod, (x, y) => x % y, 0, xs, ys);
  againstHost("remainder", np.remainder, pyMod, 0, xs.slice(0, 11), ys.slice(0, 11));
  const fx = [5.5, -5.5, 5.5, -5.5, 7, -7, 9, 1e17, 0.5];
  const fy = [2, 2, -2, -2, 7, 7, 0.1, 3, 0.1];
  againstHost(
    "floorDivide",
    np.floorDivide,
    (x, y) => Math.round((x - pyMod(x, y)) / y),
    0,
    fx,
    fy,
  );
  assert.deepEqual(np.floorDivide(np.array([1]), 0.1).toArray(), [9], "1 // 0.1 is 9 in Python");
  for (const name of ["ref", "wasm"]) {
    withDefaultBackend(name, () => {
      const a = np.array([7, -7, 7, -7, 5, -5, 0, -2147483648]);
      const b = np.array([2, 2, -2, -2, 0, 0, 3, -1]);
      assert.deepEqual(np.fmod(a, b).toArray(), [1, -1, 1, -1, 5, -5, 0, 0]);
      assert.deepEqual(np.mod(a, b).toArray(), [1, 1, -1, -1, 0, 0, 0, 0]);
      assert.deepEqual((np.floorDivide(a, b).toArray() as number[]).slice(0, 4), [3, -4, -4, 3]);
      const [q, r] = np.divmod(np.array([-7.5, 7.5]), np.array([2, -2]));
      assert.deepEqual([q.toArray(), r.toArray()], [[-4, -4], [0.5, -0.5]]);
      assert.equal(np.mod(a, 3).dtype, "int32");
    });
  }
});

Deno.test("isnan, isinf, isfinite and nanToNum classify and replace every special value", () => {
  const x = np.array([NaN, Infinity, -Infinity, 0, -1.5], "float64");
  assert.deepEqual(np.isnan(x).toArray(), [true, false, false, false, false]);
  assert.deepEqual(np.isinf(x).toArray(), [false, true, true, false, false]);
  assert.deepEqual(np.isfinite(x).toArray(), [false, false, false, true, true]);
  assert.deepEqual(np.isfinite(np.array([1, 2])).toArray(), [true, true], "integers are finite");
  assert.deepEqual(np.isnan(np.array([1, 2])).toArray(), [false, false]);
  assert.deepEqual(np.nanToNum(x).toArray(), [0, Number.MAX_VALUE, -Number.MAX_VALUE, 0, -1.5]);
  assert.deepEqual(
    np.nanToNum(x, { nan: 7, posinf: 1, neginf: -2 }).toArray(),
    [7, 1, -2, 0, -1.5],
  );
  assert.equal(np.nanToNum(np.array([Infinity], "float32")).item(), 3.4028234663852886e38);
  assert.throws(() => np.nanToNum(x, { nans: 1 } as never), /np.nanToNum: unknown option "nans"/);
});

Deno.test("isclose treats infinities and NaN as NumPy does; allclose reduces it", () => {
  const a = np.array([1, 1, Infinity, Infinity, NaN, 1e10, 0], "float64");
  const b = np.array([1 + 1e-6, 1.1, Infinity, -Infinity, NaN, 1.00001e10, 1e-9], "float64");
  assert.deepEqual(np.isclose(a, b).toArray(), [true, false, true, false, false, true, true]);
  assert.deepEqual((np.isclose(a, b, { equalNan: true }).toArray() as boolean[])[4], true);
  assert.deepEqual((np.isclose(a, b, { rtol: 0, atol: 0 }).toArray() as boolean[])[0], false);
  assert.equal(np.allclose(np.array([1, 2]), np.array([1, 2 + 1e-9])).toArray(), true);
  assert.equal(np.allclose(a, b).toArray(), false);
  assert.equal(np.isclose(np.array([1, 2]), 2).dtype, "bool");
});

/** At least 0.05 from every multiple of 0.3, where fmod and remainder jump. */
const offMultiples = (u: number) => 0.3 * Math.round(4 * u) + 0.1 + 0.05 * u;

/** The differentiable functions of this file, each with a domain away from its kinks. */
const SMOOTH: [string, (x: Array) => Array, (u: number) => number][] = [
  ["tan", np.tan, (u) => 1.3 * u],
  ["arctan", np.arctan, domains.real],
  ["arcsin", np.arcsin, domains.unit],
  ["arccos", np.arccos, domains.unit],
  ["sinh", np.sinh, domains.real],
  ["cosh", np.cosh, domains.real],
  ["log2", np.log2, domains.positive],
  ["log10", np.log10, domains.positive],
  ["arctan2(x, 1.5)", (x) => np.arctan2(x, 1.5), domains.real],
  ["arctan2(-1, x)", (x) => np.arctan2(-1, x), domains.real],
  ["hypot(x, 0.7)", (x) => np.hypot(x, 0.7), domains.real],
  ["hypot(x, 3x)", (x) => np.hypot(x, np.multiply(x, 3)), domains.nonzero],
  ["fmod(x, 0.3)", (x) => np.fmod(x, 0.3), offMultiples],
  ["remainder(x, -0.3)", (x) => np.remainder(x, -0.3), offMultiples],
];

Deno.test("derivatives match central differences: jvp, grad and second derivatives", async (t) => {
  for (const [name, f, domain] of SMOOTH) {
    await t.step(name, () => {
      fc.assert(
        fc.property(
          fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 1, maxLength: 6 }),
          fc.integer(),
          (us, seed) => {
            const x = f64(us.map(domain), [us.length]);
            const v = seededArray(x.shape, seed);
            const [, tangent] = jvp(f, [x], [v]) as [Array, Array];
            assertClose(tangent, numericJvp(f, [x], [v]) as Array, { rtol: 1e-6, atol: 1e-7 });
            const g = grad((y: Array) => np.sum(f(y)))(x) as Array;
            const fd = numericJvp((y) => np.sum(f(y)), [x], [v]) as Array;
            assert.ok(
              Math.abs(inner(g, v) - hostData(fd)[0]) < 1e-6 * (1 + Math.abs(hostData(fd)[0])),
            );
            const g2 = (y: Array) => grad((z: Array) => np.sum(f(z)))(y) as Array;
            const [, second] = jvp(g2, [x], [v]) as [Array, Array];
            assertClose(second, numericJvp(g2, [x], [v]) as Array, { rtol: 1e-5, atol: 1e-6 });
          },
        ),
        runs(15),
      );
    });
  }
});

Deno.test("arctan2's gradient is (x, -y) / (x^2 + y^2), also under vmap and jit", () => {
  const y = f64([1, -2, 0.5], [3]), x = f64([-1, 3, 0.25], [3]);
  const [gy, gx] = grad((a: Array, b: Array) => np.sum(np.arctan2(a, b)), { argnums: [0, 1] })(
    y,
    x,
  ) as Array[];
  const r2 = [2, 13, 0.3125];
  assertClose(gy, [-1 / r2[0], 3 / r2[1], 0.25 / r2[2]], { rtol: 1e-14, atol: 0 });
  assertClose(gx, [-1 / r2[0], 2 / r2[1], -0.5 / r2[2]], { rtol: 1e-14, atol: 0 });
  const batched = vmap((a: Array) => np.sinh(np.arcsin(a)))(f64([0.1, -0.2, 0.3, 0.4], [2, 2]));
  assertClose(
    batched,
    [[0.1, -0.2], [0.3, 0.4]].map((r) => r.map((v) => Math.sinh(Math.asin(v)))),
    {
      rtol: 1e-14,
      atol: 0,
    },
  );
  const jitted = jit((a: Array) => grad((b: Array) => np.sum(np.cosh(b)))(a))(f64([0.5, -1], [2]));
  assertClose(jitted, [Math.sinh(0.5), Math.sinh(-1)], { rtol: 1e-14, atol: 0 });
});
