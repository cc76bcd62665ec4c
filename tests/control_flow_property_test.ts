/**
 * Control flow against what it stands for, on random bodies the differential fuzzer's rules
 * build (tests/fuzz/bodies.ts): `scan` equals the loop unrolled in JavaScript (values, jvp, vjp,
 * vmap over batched inits, xs and closed-over arrays, at any batch axis), `cond` equals
 * `np.where` of both branches and `switch` the branch its clamped index selects (values, jvp,
 * vjp, vmap over the predicate or index), `foriLoop` equals a JavaScript loop (reverse mode
 * with static bounds; a while loop, forward mode, with traced ones), and `checkpoint(f)` has
 * `f`'s values and derivatives, alone and as a scan body. All on ref in float64, where the
 * derivatives also meet central differences, then jitted on wasm (float64) and on WebGPU
 * (float32, when an adapter exists) against ref.
 *
 * Tolerances: against ref in float64, `|got - want| <= 1e-9 (|want| + scale) + 1e-12` (the
 * fuzzer's, `scale` an output's largest magnitude: transposes add in other orders); against
 * central differences `1e-5 (|want| + scale) + 1e-6` (their truncation error over bodies of
 * bounded curvature); on WebGPU, float32's `2e-4 (|want| + scale) + 1e-5`.
 */
import fc from "fast-check";
import {
  type Array,
  checkpoint,
  ConcreteArray,
  type DType,
  grad,
  initWebGPU,
  jit,
  jvp,
  lax,
  numpy as np,
  toBackendAsync,
  tree,
  vmap,
} from "../mod.ts";
import { withDefaultBackend } from "../core/backend.ts";
import {
  type Body,
  bodyFunction,
  bodyText,
  buildBody,
  floatInput,
  indexInput,
  rawBody,
  shapeSet,
} from "./fuzz/bodies.ts";
import { batchedShape } from "./fuzz/functions.ts";
import { difference, type Leaf } from "./fuzz/oracles.ts";
import { nest } from "./fuzz/ops.ts";
import { stream } from "./util/arbitraries.ts";
import { inner, numericJvp } from "./util/finite_diff.ts";
import { runs } from "./util/arbitraries.ts";

type Float = "float32" | "float64";
type Fn = (...xs: Array[]) => Array[];

const gpu = await initWebGPU();
if (!gpu) console.warn("control flow properties: no WebGPU adapter, not jitted on webgpu");

// ---------------------------------------------------------------- arrays and comparisons

/** Host data in [-1, 1] for `shape`, from `seed`. */
function hostData(shape: readonly number[], seed: number): number[] {
  const next = stream(seed);
  return globalThis.Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => next() * 2 - 1);
}

/** An array of `shape` with data from `seed`, on `backend`. */
function seeded(shape: readonly number[], seed: number, dtype: Float, backend = "ref"): Array {
  const data = hostData(shape, seed);
  const typed = dtype === "float32" ? Float32Array.from(data) : Float64Array.from(data);
  return ConcreteArray.fromHost(typed, shape, dtype, backend);
}

/** A constant made inside the traced function (so it lives wherever the function runs). */
function constant(shape: readonly number[], seed: number, dtype: Float): Array {
  return np.array(nest(hostData(shape, seed), shape) as number, dtype);
}

function leaf(x: Array): Leaf {
  const data = Float64Array.from(x.concrete("control flow property").dataSync(), Number);
  return { data, shape: [...x.shape], dtype: x.dtype };
}

function leavesOf(t: unknown): Array[] {
  return tree.leaves(t as never) as Array[];
}

/** Throws `what` and the first difference when `got` and `want` (pytrees) disagree. */
function agree(got: unknown, want: unknown, what: string, precision: DType = "float64"): void {
  const d = difference(leavesOf(got).map(leaf), leavesOf(want).map(leaf), precision);
  if (d) throw new Error(`${what}: ${d}`);
}

/** Throws unless `got` meets central differences `want` within their truncation error. */
function nearDifferences(got: Array[], want: Array[], what: string): void {
  got.forEach((g, j) => {
    const a = leaf(g).data, b = leaf(want[j]).data;
    const scale = b.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    b.forEach((w, i) => {
      if (!(Math.abs(a[i] - w) <= 1e-5 * (Math.abs(w) + scale) + 1e-6)) {
        throw new Error(`${what}: output ${j} element ${i} is ${a[i]}, differences give ${w}`);
      }
    });
  });
}

/** `sum_j sum(out_j * w_j)` with weights from `seed`: a loss weighing every output. */
function lossOf(f: Fn, shapes: number[][], seed: number, dtype: Float): (...xs: Array[]) => Array {
  return (...xs) =>
    f(...xs)
      .map((y, j) => np.sum(np.multiply(y, constant(shapes[j], seed + j, dtype))))
      .reduce((a, b) => np.add(a, b));
}

/** The gradient of `loss` by every argument (a list, even for one). */
function gradAll(loss: (...xs: Array[]) => Array, n: number): Fn {
  const g = grad(loss, { argnums: globalThis.Array.from({ length: n }, (_, i) => i) });
  return (...xs) => g(...xs) as Array[];
}

/**
 * The checks every construct shares, on ref: `f` (the construct) against `model` (what it
 * stands for) in value, jvp and gradient of a weighted loss, and both derivatives against
 * central differences (unless the body stops a gradient that differences see through).
 */
function checkDerivatives(f: Fn, model: Fn, args: Array[], seed: number, fd: boolean): void {
  const outs = model(...args);
  const shapes = outs.map((y) => [...y.shape]);
  agree(f(...args), outs, "value");
  const tangents = args.map((a, i) => seeded(a.shape, seed + 100 + i, "float64"));
  const [, t] = jvp(f, args, tangents) as [Array[], Array[]];
  agree(t, (jvp(model, args, tangents) as [Array[], Array[]])[1], "jvp");
  const g = gradAll(lossOf(f, shapes, seed, "float64"), args.length)(...args);
  agree(g, gradAll(lossOf(model, shapes, seed, "float64"), args.length)(...args), "vjp");
  if (!fd) return;
  const numeric = numericJvp(model, args, tangents) as Array[];
  nearDifferences(t, numeric, "jvp against central differences");
  const weights = shapes.map((s, j) => constant(s, seed + j, "float64"));
  nearDifferences([np.array(inner(g, tangents))], [np.array(inner(numeric, weights))], "<grad, v>");
}

/** `f` jitted on wasm, against ref eagerly, in float64. */
function checkJitWasm(f: Fn, args: Array[], what: string): void {
  const want = withDefaultBackend("ref", () => f(...args));
  const got = withDefaultBackend("wasm", () => {
    const xs = args.map((a) => ConcreteArray.fromHost(leaf(a).data, a.shape, a.dtype, "wasm"));
    return jit(f, { compile: "sync" })(...xs);
  });
  agree(got, want, `jit on wasm: ${what}`);
}

/** `f` jitted on WebGPU, against ref eagerly, in float32. */
async function checkJitWebGPU(f: Fn, args: Array[], what: string): Promise<void> {
  const want = withDefaultBackend("ref", () => f(...args)).map(leaf);
  const moved = await toBackendAsync(args, "webgpu");
  const outs: Array[] = jit(f, { backend: "webgpu" })(...moved);
  const got = await Promise.all(outs.map(async (x) => ({
    data: Float64Array.from(await x.read(), Number),
    shape: [...x.shape],
    dtype: x.dtype,
  })));
  const d = difference(got, want, "float32");
  if (d) throw new Error(`jit on webgpu: ${what}: ${d}`);
}

/** `f`'s outputs followed by the gradient of a weighted loss of them. */
function withGrads(f: Fn, shapes: number[][], seed: number, dtype: Float, n: number): Fn {
  const g = gradAll(lossOf(f, shapes, seed, dtype), n);
  return (...xs) => [...f(...xs), ...g(...xs)];
}

/** Argument `i` of example `b` of a batch along `axis` (or all of it, for null). */
function slice(x: Array, b: number, axis: number | null): Array {
  return axis === null ? x : np.take(x, np.array(b, "int32"), axis);
}

/** `vmap(f)` over `batched` along `axes`, against `model` per example, stacked. */
function checkVmap(f: Fn, model: Fn, batched: Array[], axes: (number | null)[], size: number) {
  const got = vmap(f, { inAxes: axes })(...batched) as Array[];
  const per = globalThis.Array.from(
    { length: size },
    (_, b) => model(...batched.map((x, i) => slice(x, b, axes[i]))),
  );
  agree(got, per[0].map((_, j) => np.stack(per.map((o) => o[j]))), "vmap");
}

/** A case fast-check prints as its bodies and parameters. */
function printed<T extends object>(c: T, text: () => string): T {
  return Object.assign(c, { [fc.toStringMethod]: text });
}

// ---------------------------------------------------------------- scan

/** A scan: its body over carries, slices of xs and closed-over arrays, steps and direction. */
interface ScanCase {
  body: Body;
  carries: number[][];
  xs: number[][];
  consts: number[][];
  steps: number;
  reverse: boolean;
  seed: number;
  /** vmap's axes: per argument, a raw choice of batched or not and where. */
  axes: number[];
}

function scanCases(float: Float): fc.Arbitrary<ScanCase> {
  return fc.record({
    raw: rawBody,
    shapes: shapeSet(5),
    counts: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.nat(2), fc.nat(1)),
    steps: fc.integer({ min: 1, max: 4 }),
    reverse: fc.boolean(),
    seed: fc.nat(1 << 20),
    axes: fc.array(fc.nat(5), { minLength: 5, maxLength: 5 }),
  }).map(({ raw, shapes, counts: [k1, k2, k3], steps, reverse, seed, axes }) => {
    const carries = shapes.slice(0, k1), xs = shapes.slice(k1, k1 + k2);
    const consts = shapes.slice(k1 + k2, k1 + k2 + k3);
    const inputs = [...carries, ...xs, ...consts].map((s) => floatInput(s, float));
    const feedback = carries.map((_, k) => k);
    const body = buildBody(
      raw,
      { inputs, fitted: carries, limit: 1, sinks: true, feedback },
      float,
    );
    const c = { body, carries, xs, consts, steps, reverse, seed, axes };
    return printed(
      c,
      () =>
        `${bodyText(body, "body")}\n// carries [${carries.map((s) => `[${s}]`)}], xs ` +
        `[${xs.map((s) => `[${steps},${s}]`)}], consts [${consts.map((s) => `[${s}]`)}], ` +
        `reverse ${reverse}, seed ${seed}, axes [${axes}]`,
    );
  });
}

/** The arguments of a scan case: carries, stacked xs, closed-over arrays. */
function scanArgs(c: ScanCase, float: Float, seed = c.seed): Array[] {
  const shapes = [...c.carries, ...c.xs.map((s) => [c.steps, ...s]), ...c.consts];
  return shapes.map((s, i) => seeded(s, seed + i, float));
}

/** The scan (`lax.scan` of the body) and the same loop unrolled in JavaScript. */
function scanFunctions(c: ScanCase, f: Fn = bodyFunction(c.body)): { scanned: Fn; unrolled: Fn } {
  const k1 = c.carries.length, k2 = c.xs.length;
  const split = (a: Array[]) => [a.slice(0, k1), a.slice(k1, k1 + k2), a.slice(k1 + k2)];
  const step = (w: Array[]) => (carry: Array[], x: Array[] | null): [Array[], Array[]] => {
    const out = f(...carry, ...(x ?? []), ...w);
    return [out.slice(0, k1), out.slice(k1)];
  };
  const scanned: Fn = (...a) => {
    const [c0, xs, w] = split(a);
    const [cT, ys] = lax.scan(step(w), c0, k2 ? xs : null, {
      reverse: c.reverse,
      length: c.steps,
    });
    return [...cT, ...ys];
  };
  const unrolled: Fn = (...a) => {
    const [c0, xs, w] = split(a);
    let carry = c0;
    const ys: Array[][] = [];
    for (let t = 0; t < c.steps; t++) {
      const i = c.reverse ? c.steps - 1 - t : t;
      [carry, ys[i]] = step(w)(carry, xs.map((x) => np.index(x, i)));
    }
    return [...carry, ...ys[0].map((_, j) => np.stack(ys.map((y) => y[j])))];
  };
  return { scanned, unrolled };
}

/** vmap axes of a scan case's arguments (xs may batch along axis 0 or 1), at least one. */
function scanAxes(c: ScanCase): (number | null)[] {
  const k1 = c.carries.length, k2 = c.xs.length;
  const axes = [...c.carries, ...c.xs, ...c.consts].map((_, i): number | null => {
    const r = c.axes[i];
    if (r < 2) return null;
    return i >= k1 && i < k1 + k2 && r === 5 ? 1 : 0;
  });
  if (!axes.some((a) => a !== null)) axes[0] = 0;
  return axes;
}

Deno.test("property: scan equals the unrolled loop (values, jvp, vjp, vmap; ref float64, jit on wasm)", () => {
  fc.assert(
    fc.property(scanCases("float64"), (c) => {
      const { scanned, unrolled } = scanFunctions(c);
      withDefaultBackend("ref", () => {
        const args = scanArgs(c, "float64");
        checkDerivatives(scanned, unrolled, args, c.seed, !c.body.stopsGradient);
        const axes = scanAxes(c), size = 2;
        const batched = args.map((a, i) =>
          seeded(batchedShape(a.shape, size, axes[i]), c.seed + 50 + i, "float64")
        );
        checkVmap(scanned, unrolled, batched, axes, size);
        const shapes = unrolled(...args).map((y) => [...y.shape]);
        const g = gradAll(lossOf(scanned, shapes, c.seed, "float64"), args.length);
        const gu = gradAll(lossOf(unrolled, shapes, c.seed, "float64"), args.length);
        checkVmap(g, gu, batched, axes, size);
        const both = withGrads(scanned, shapes, c.seed, "float64", args.length);
        checkJitWasm(both, args, "scan and its gradient");
      });
    }),
    runs(60),
  );
});

// ---------------------------------------------------------------- cond and switch

/** Branches over the same operands (and closed-over arrays), with outputs of common types. */
interface CondCase {
  branches: Body[];
  operands: number[][];
  consts: number[][];
  seed: number;
  /** A switch's index, -1 to 3 (clamped to the branches). */
  index: number;
  axes: number[];
}

function condCases(float: Float): fc.Arbitrary<CondCase> {
  return fc.record({
    raws: fc.array(rawBody, { minLength: 3, maxLength: 3 }),
    shapes: shapeSet(4),
    counts: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.nat(1)),
    outs: fc.array(fc.nat(4), { minLength: 1, maxLength: 2 }),
    seed: fc.nat(1 << 20),
    index: fc.integer({ min: -1, max: 3 }),
    axes: fc.array(fc.nat(2), { minLength: 5, maxLength: 5 }),
  }).map(({ raws, shapes, counts: [k1, k2], outs, seed, index, axes }) => {
    const operands = shapes.slice(0, k1), consts = shapes.slice(k1, k1 + k2);
    const inputs = [...operands, ...consts].map((s) => floatInput(s, float));
    // Outputs shaped as an operand or scalar.
    const fitted = outs.map((o) => (o < operands.length ? operands[o] : []));
    const branches = raws.map((raw) =>
      buildBody(raw, { inputs, fitted, limit: Infinity, sinks: false }, float)
    );
    const c = { branches, operands, consts, seed, index, axes };
    return printed(
      c,
      () =>
        `${branches.map((b, i) => bodyText(b, `branch${i}`)).join("\n")}\n// operands ` +
        `[${operands.map((s) => `[${s}]`)}], consts [${consts.map((s) => `[${s}]`)}], ` +
        `index ${index}, seed ${seed}, axes [${axes}]`,
    );
  });
}

/** The branches as functions of the operands, closing over the other arguments. */
function branchesOf(c: CondCase, w: Array[]): ((...ops: Array[]) => Array[])[] {
  return c.branches.map((b) => {
    const f = bodyFunction(b);
    return (...ops: Array[]) => f(...ops, ...w);
  });
}

/** `lax.cond(p, branch1, branch0)` and `np.where` of both, as functions of (p, ...args). */
function condFunctions(c: CondCase): { cond: Fn; where: Fn } {
  const k = c.operands.length;
  const cond: Fn = (p, ...a) => {
    const [t, f] = [branchesOf(c, a.slice(k))[1], branchesOf(c, a.slice(k))[0]];
    return lax.cond(p, t, f, ...a.slice(0, k));
  };
  const where: Fn = (p, ...a) => {
    const [f, t] = branchesOf(c, a.slice(k));
    const [yt, yf] = [t(...a.slice(0, k)), f(...a.slice(0, k))];
    return yt.map((y, j) => np.where(p, y, yf[j]));
  };
  return { cond, where };
}

/** `lax.switch(i, branches)` and the branch the clamped index selects, of (i, ...args). */
function switchFunctions(c: CondCase): { switched: Fn; selected: Fn } {
  const k = c.operands.length;
  const switched: Fn = (i, ...a) => lax.switch(i, branchesOf(c, a.slice(k)), ...a.slice(0, k));
  const selected: Fn = (i, ...a) => {
    const ys = branchesOf(c, a.slice(k)).map((b) => b(...a.slice(0, k)));
    const j = np.clip(i, 0, 2);
    return ys[0].map((_, o) =>
      np.where(np.equal(j, 0), ys[0][o], np.where(np.equal(j, 1), ys[1][o], ys[2][o]))
    );
  };
  return { switched, selected };
}

/** Fixes the first argument of `f` (a predicate or index). */
function at(f: Fn, first: Array): Fn {
  return (...a) => f(first, ...a);
}

function condAxes(c: CondCase, n: number): (number | null)[] {
  return globalThis.Array.from({ length: n }, (_, i) => (c.axes[i] === 0 ? null : 0));
}

Deno.test("property: cond equals np.where of both branches, switch the selected branch (ref float64, jit on wasm)", () => {
  fc.assert(
    fc.property(condCases("float64"), (c) => {
      const { cond, where } = condFunctions(c);
      const { switched, selected } = switchFunctions(c);
      withDefaultBackend("ref", () => {
        const args = [...c.operands, ...c.consts].map((s, i) => seeded(s, c.seed + i, "float64"));
        const fd = !c.branches.some((b) => b.stopsGradient);
        for (const p of [true, false]) {
          checkDerivatives(at(cond, np.array(p)), at(where, np.array(p)), args, c.seed, fd);
        }
        const i = np.array(c.index, "int32");
        checkDerivatives(at(switched, i), at(selected, i), args, c.seed, fd);
        // Batched predicates and indices (with batched or shared operands).
        const size = 3;
        const axes = [0, ...condAxes(c, args.length)];
        const batched = args.map((a, j) =>
          seeded(batchedShape(a.shape, size, axes[j + 1]), c.seed + 50 + j, "float64")
        );
        checkVmap(cond, where, [np.array([true, false, true]), ...batched], axes, size);
        const is = np.array([c.index, (c.index + 2) % 5 - 1, 1 - c.index], "int32");
        checkVmap(switched, selected, [is, ...batched], axes, size);
        const shapes = where(np.array(true), ...args).map((y) => [...y.shape]);
        const both = (p: Array, ...a: Array[]) =>
          withGrads(at(cond, p), shapes, c.seed, "float64", a.length)(...a);
        const pred = c.index % 2 === 0;
        checkJitWasm(both, [np.array(pred), ...args], "cond and its gradient");
        const sw = (j: Array, ...a: Array[]) =>
          withGrads(at(switched, j), shapes, c.seed, "float64", a.length)(...a);
        checkJitWasm(sw, [i, ...args], "switch and its gradient");
      });
    }),
    runs(40),
  );
});

// ---------------------------------------------------------------- foriLoop

/** A fori loop: its body over the index, carries and closed-over arrays, and its bounds. */
interface ForiCase {
  body: Body;
  carries: number[][];
  consts: number[][];
  lo: number;
  hi: number;
  seed: number;
}

function foriCases(float: Float): fc.Arbitrary<ForiCase> {
  return fc.record({
    raw: rawBody,
    shapes: shapeSet(3),
    counts: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.nat(1)),
    lo: fc.integer({ min: -1, max: 2 }),
    steps: fc.integer({ min: -1, max: 4 }),
    seed: fc.nat(1 << 20),
  }).map(({ raw, shapes, counts: [k1, k2], lo, steps, seed }) => {
    const carries = shapes.slice(0, k1), consts = shapes.slice(k1, k1 + k2);
    const inputs = [
      indexInput(lo + Math.max(steps, 0)),
      ...[...carries, ...consts].map((s) => floatInput(s, float)),
    ];
    const feedback = carries.map((_, k) => k + 1);
    const body = buildBody(
      raw,
      { inputs, fitted: carries, limit: 1, sinks: false, feedback },
      float,
    );
    const c = { body, carries, consts, lo, hi: lo + steps, seed };
    return printed(
      c,
      () =>
        `${bodyText(body, "body")}\n// carries [${carries.map((s) => `[${s}]`)}], consts ` +
        `[${consts.map((s) => `[${s}]`)}], lo ${c.lo}, hi ${c.hi}, seed ${seed}`,
    );
  });
}

/** The fori loop with bounds `lo` and `hi` (numbers or arrays) and the JS loop, of the args. */
function foriFunctions(c: ForiCase): {
  fori: (lo: number | Array, hi: number | Array) => Fn;
  loop: Fn;
} {
  const k = c.carries.length;
  const f = bodyFunction(c.body);
  const fori = (lo: number | Array, hi: number | Array): Fn => (...a) =>
    lax.foriLoop(
      lo,
      hi,
      (i: Array, carry: Array[]) => f(i, ...carry, ...a.slice(k)),
      a.slice(0, k),
    );
  const loop: Fn = (...a) => {
    let carry = a.slice(0, k);
    for (let i = c.lo; i < c.hi; i++) carry = f(np.array(i, "int32"), ...carry, ...a.slice(k));
    return carry;
  };
  return { fori, loop };
}

Deno.test("property: foriLoop equals the JS loop (static bounds: vjp; traced: jvp; ref float64, jit on wasm)", () => {
  fc.assert(
    fc.property(foriCases("float64"), (c) => {
      const { fori, loop } = foriFunctions(c);
      withDefaultBackend("ref", () => {
        const args = [...c.carries, ...c.consts].map((s, i) => seeded(s, c.seed + i, "float64"));
        checkDerivatives(fori(c.lo, c.hi), loop, args, c.seed, !c.body.stopsGradient);
        // Traced bounds: a while loop, values and forward mode.
        const dynamic = fori(np.array(c.lo, "int32"), np.array(c.hi, "int32"));
        agree(dynamic(...args), loop(...args), "value with traced bounds");
        const tangents = args.map((a, i) => seeded(a.shape, c.seed + 100 + i, "float64"));
        agree(
          (jvp(dynamic, args, tangents) as [Array[], Array[]])[1],
          (jvp(loop, args, tangents) as [Array[], Array[]])[1],
          "jvp with traced bounds",
        );
        const shapes = loop(...args).map((y) => [...y.shape]);
        checkJitWasm(
          withGrads(fori(c.lo, c.hi), shapes, c.seed, "float64", args.length),
          args,
          "static bounds and the gradient",
        );
        const traced: Fn = (lo, hi, ...a) => {
          const ts = a.map((x, i) => np.multiply(np.onesLike(x), (i % 3) - 1));
          const [ys, dys] = jvp(fori(lo, hi), a, ts) as [Array[], Array[]];
          return [...ys, ...dys];
        };
        const bounds = [np.array(c.lo, "int32"), np.array(c.hi, "int32")];
        checkJitWasm(traced, [...bounds, ...args], "traced bounds and the jvp");
      });
    }),
    runs(50),
  );
});

// ---------------------------------------------------------------- checkpoint

Deno.test("property: checkpoint(f) has f's values and derivatives, alone and as a scan body (ref float64, jit on wasm)", () => {
  fc.assert(
    fc.property(scanCases("float64"), (c) => {
      const f = bodyFunction(c.body);
      const plain = scanFunctions(c, f).scanned;
      const remat = scanFunctions(c, checkpoint(f)).scanned;
      withDefaultBackend("ref", () => {
        const fd = !c.body.stopsGradient;
        const one = [...c.carries, ...c.xs, ...c.consts].map((s, i) =>
          seeded(s, c.seed + i, "float64")
        );
        checkDerivatives(checkpoint(f), f, one, c.seed, fd);
        const args = scanArgs(c, "float64");
        checkDerivatives(remat, plain, args, c.seed, fd);
        const shapes = plain(...args).map((y) => [...y.shape]);
        checkJitWasm(
          withGrads(remat, shapes, c.seed, "float64", args.length),
          args,
          "scan of a checkpointed body and its gradient",
        );
      });
    }),
    runs(30),
  );
});

// ---------------------------------------------------------------- WebGPU

Deno.test({
  name:
    "property: jitted scan, cond, switch, foriLoop and checkpoint on webgpu agree with ref (float32)",
  ignore: !gpu,
  async fn(t) {
    await t.step("scan", () =>
      fc.assert(
        fc.asyncProperty(scanCases("float32"), async (c) => {
          const { scanned } = scanFunctions(c);
          const args = scanArgs(c, "float32");
          const shapes = withDefaultBackend("ref", () => scanned(...args)).map((y) => [...y.shape]);
          await checkJitWebGPU(
            withGrads(scanned, shapes, c.seed, "float32", args.length),
            args,
            "scan",
          );
        }),
        runs(15),
      ));
    await t.step("cond and switch", () =>
      fc.assert(
        fc.asyncProperty(condCases("float32"), async (c) => {
          const { cond } = condFunctions(c);
          const { switched } = switchFunctions(c);
          const args = [...c.operands, ...c.consts].map((s, i) => seeded(s, c.seed + i, "float32"));
          const shapes = withDefaultBackend("ref", () => cond(np.array(true), ...args))
            .map((y) => [...y.shape]);
          const g = (first: Fn) => (p: Array, ...a: Array[]) =>
            withGrads(at(first, p), shapes, c.seed, "float32", a.length)(...a);
          await checkJitWebGPU(g(cond), [np.array(c.index % 2 === 0), ...args], "cond");
          await checkJitWebGPU(g(switched), [np.array(c.index, "int32"), ...args], "switch");
        }),
        runs(15),
      ));
    await t.step("foriLoop", () =>
      fc.assert(
        fc.asyncProperty(foriCases("float32"), async (c) => {
          const { fori } = foriFunctions(c);
          const args = [...c.carries, ...c.consts].map((s, i) => seeded(s, c.seed + i, "float32"));
          const shapes = c.carries;
          await checkJitWebGPU(
            withGrads(fori(c.lo, c.hi), shapes, c.seed, "float32", args.length),
            args,
            "foriLoop",
          );
        }),
        runs(15),
      ));
    await t.step("checkpoint in scan", () =>
      fc.assert(
        fc.asyncProperty(scanCases("float32"), async (c) => {
          const { scanned } = scanFunctions(c, checkpoint(bodyFunction(c.body)));
          const args = scanArgs(c, "float32");
          const shapes = withDefaultBackend("ref", () => scanned(...args)).map((y) => [...y.shape]);
          await checkJitWebGPU(
            withGrads(scanned, shapes, c.seed, "float32", args.length),
            args,
            "scan of a checkpointed body",
          );
        }),
        runs(15),
      ));
  },
});
