/**
 * The registry of kernel primitives and the backends' rule tables: every primitive defined in
 * core/primitives without a composite implementation is registered under its own name, every
 * registered primitive has an entry (its own kernel, an explicit ref fallback or an explicit
 * refusal) on every backend, `backendCoverage` reports what the tables say, and the properties
 * stated on primitives hold of what their kernels compute, on ref and wasm (fast-check), and are
 * what the simplifier and fusion act on.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type Array,
  backendCoverage,
  ConcreteArray,
  jit,
  KERNEL_PRIMITIVE_NAMES,
  KERNEL_PRIMITIVES,
  makeJaxpr,
  numpy as np,
} from "../mod.ts";
import { ShapedArray } from "../core/aval.ts";
import type { Backend } from "../core/backend.ts";
import { allocTyped, type DType, type TypedArray } from "../core/dtype.ts";
import { type Params, Primitive } from "../core/primitive.ts";
import { paramsOf } from "../core/jaxpr.ts";
import { reduceMaxP, reduceMinP, reduceSumP } from "../core/primitives/reductions.ts";
import { transposeP } from "../core/primitives/structural.ts";
import { BINARY_ELEMENTWISE, UNARY_ELEMENTWISE } from "../core/primitives/elementwise.ts";
import type { KernelPrimitiveName } from "../core/primitives/registry.ts";
import { bind, bind1 } from "../core/trace.ts";
import { eliminateCommonSubexpressions, foldConstants } from "../core/transforms/simplify.ts";
import { makeJaxprFlat } from "../core/transforms/make_jaxpr.ts";
import { fuse } from "../kernels/lowering/fusion.ts";
import { refBackend, refKernels } from "../kernels/ref/backend.ts";
import { coverageOf, type RuleEntry } from "../kernels/rule_table.ts";
import { wasmBackend, wasmRules } from "../kernels/wasm/backend.ts";
import { webgpuRules } from "../kernels/webgpu/backend.ts";
import { permutation, runs } from "./util/arbitraries.ts";

const TABLES: Record<string, Readonly<Record<string, RuleEntry<unknown>>>> = {
  ref: refKernels,
  wasm: wasmRules,
  webgpu: webgpuRules,
};

/** Every primitive object exported by a module under core/primitives (found on disk). */
async function definedPrimitives(): Promise<Primitive[]> {
  const found: Primitive[] = [];
  for (const sub of ["", "linalg/"]) {
    const dir = new URL(`../core/primitives/${sub}`, import.meta.url);
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile || !entry.name.endsWith(".ts")) continue;
      const module = await import(new URL(entry.name, dir).href);
      found.push(...Object.values(module).filter((v): v is Primitive => v instanceof Primitive));
    }
  }
  return found;
}

Deno.test("the registry holds every kernel primitive of core/primitives, each under its name", async () => {
  for (const name of KERNEL_PRIMITIVE_NAMES) {
    const prim = KERNEL_PRIMITIVES[name];
    assert.equal(prim.name, name);
    assert.equal(prim.impl, undefined, `${name} has a composite impl: it is no kernel primitive`);
  }
  const kernels = (await definedPrimitives()).filter((p) => !p.impl).map((p) => p.name);
  const missing = [...new Set(kernels)].filter((n) => !KERNEL_PRIMITIVE_NAMES.includes(n as never));
  assert.deepEqual(missing, [], `defined but not registered: ${missing.join(", ")}`);
});

Deno.test("every registered primitive has an entry on every backend, and no other name does", () => {
  for (const [backend, table] of Object.entries(TABLES)) {
    for (const name of KERNEL_PRIMITIVE_NAMES) {
      const entry = table[name];
      assert.ok(entry !== undefined, `${backend} has no entry for ${name}`);
      const kind = coverageOf(entry);
      assert.ok(["native", "refFallback", "unsupported"].includes(kind), `${backend} ${name}`);
      if (kind !== "native") {
        assert.ok((entry as { reason: string }).reason.length > 0, `${backend} ${name}: a reason`);
      }
    }
    const extra = Object.keys(table).filter((n) => !KERNEL_PRIMITIVE_NAMES.includes(n as never));
    assert.deepEqual(extra, [], `${backend} has entries for unregistered names`);
  }
});

Deno.test("backendCoverage reports each backend's table; ref, the oracle, runs everything", () => {
  for (const [backend, table] of Object.entries(TABLES)) {
    const report = backendCoverage(backend);
    assert.deepEqual(Object.keys(report).sort(), [...KERNEL_PRIMITIVE_NAMES].sort());
    for (const name of KERNEL_PRIMITIVE_NAMES) {
      assert.equal(report[name], coverageOf(table[name]), `${backend} ${name}`);
    }
  }
  assert.ok(Object.values(backendCoverage("ref")).every((c) => c === "native"));
  assert.throws(
    () => backendCoverage("tpu"),
    /backendCoverage: no backend named "tpu"; expected one of ref, wasm, webgpu/,
  );
});

Deno.test("wasm runs its ref fallbacks through the reference kernel and knows no other names", () => {
  const fallbacks = KERNEL_PRIMITIVE_NAMES.filter((n) => backendCoverage("wasm")[n] !== "native");
  assert.ok(fallbacks.includes("sort"), `${fallbacks}`);
  const aval = new ShapedArray([5], "float32");
  const data = new Float32Array([3, -1, NaN, 0, 2]);
  const params = { dimension: 0, numKeys: 1 };
  const x = wasmBackend.fromHost(data, aval);
  const [y] = wasmBackend.execute("sort", [x], [aval], params, [aval]);
  const [want] = refBackend.execute("sort", [data], [aval], params, [aval]) as TypedArray[];
  assert.deepEqual([...wasmBackend.readSync(y, aval)!], [...want]);
  wasmBackend.dispose!(x);
  wasmBackend.dispose!(y);
  assert.throws(
    () => wasmBackend.execute("cond", [], [], {}, []),
    /cond: no kernel on the wasm backend/,
  );
});

// ---------------------------------------------------------------- properties agree with kernels

const BACKENDS: Backend[] = [refBackend, wasmBackend];

/** Runs `prim` on `backend` over host inputs of shape `[n]`. */
function run(
  backend: Backend,
  prim: Primitive,
  inputs: TypedArray[],
  dtypes: DType[],
  params: Params = {},
): TypedArray[] {
  const avals = inputs.map((x, i) => new ShapedArray([x.length], dtypes[i]));
  const outAvals = prim.shape(avals, params);
  const bufs = inputs.map((x, i) => backend.fromHost(x, avals[i]));
  const outs = backend.execute(prim.name, bufs, avals, params, outAvals);
  const host = outs.map((b, i) => backend.readSync(b, outAvals[i])!.slice());
  for (const b of [...bufs, ...outs]) backend.dispose?.(b);
  return host;
}

/** Equal element by element, NaN equal to NaN (any payload), 0 unequal to -0. */
function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  return a.length === b.length &&
    globalThis.Array.from(a).every((v, i) =>
      Object.is(v, b[i]) || (Number.isNaN(v) && Number.isNaN(b[i]))
    );
}

/** Values of `dtype`, special values included. */
function valuesOf(dtype: DType, n: number): fc.Arbitrary<number[]> {
  const one = dtype === "float32"
    ? fc.oneof(
      fc.float({ min: -4, max: 4 }),
      fc.constantFrom(0, -0, 1, -1, 0.5, NaN, Infinity, -Infinity),
      fc.float(),
    )
    : dtype === "int32"
    ? fc.oneof(fc.integer({ min: -8, max: 40 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }))
    : fc.integer({ min: 0, max: 1 });
  return fc.array(one, { minLength: n, maxLength: n });
}

function host(dtype: DType, values: number[]): TypedArray {
  const t = allocTyped(dtype, values.length);
  t.set(values);
  return t;
}

/** Whether `prim`'s shape rule accepts operands of `dtypes` (shape `[3]`) and `params`. */
function accepts(prim: Primitive, dtypes: DType[], params: Params): boolean {
  try {
    prim.shape(dtypes.map((d) => new ShapedArray([3], d)), params);
    return true;
  } catch {
    return false;
  }
}

const DTYPES: DType[] = ["float32", "int32", "bool"];

/** The operand dtypes `prim` accepts, `arity` of them: all one dtype, or a bool predicate first. */
function signatures(prim: Primitive, arity: number, params: Params): DType[][] {
  const candidates = DTYPES.flatMap((d) => [
    globalThis.Array(arity).fill(d) as DType[],
    ...(arity > 1 ? [["bool", ...globalThis.Array(arity - 1).fill(d)] as DType[]] : []),
  ]);
  return candidates.filter((dtypes) => accepts(prim, dtypes, params));
}

/** Operand count and params of each elementwise kernel primitive. */
function elementwiseForm(name: KernelPrimitiveName): { arity: number; params: Params } {
  if (name === "select_n") return { arity: 3, params: {} };
  if (name === "convert_element_type") return { arity: 1, params: { dtype: "int32" } };
  if (name === "bitcast_convert_type") return { arity: 1, params: { dtype: "float32" } };
  if (name === "threefry2x32") return { arity: 4, params: {} };
  return { arity: UNARY_ELEMENTWISE.includes(name as never) ? 1 : 2, params: {} };
}

const commutative = KERNEL_PRIMITIVE_NAMES.filter((n) =>
  KERNEL_PRIMITIVES[n].properties.commutative
);
const elementwise = KERNEL_PRIMITIVE_NAMES.filter((n) =>
  KERNEL_PRIMITIVES[n].properties.elementwise
);

/** Whether swapping the operands of `prim` changes nothing, on both backends. */
function swapProperty(prim: Primitive, dtypes: DType[]) {
  return fc.property(
    fc.integer({ min: 1, max: 9 }).chain((n) =>
      fc.tuple(valuesOf(dtypes[0], n), valuesOf(dtypes[1], n))
    ),
    ([xs, ys]) => {
      const x = host(dtypes[0], xs), y = host(dtypes[1], ys);
      return BACKENDS.every((b) =>
        sameValues(run(b, prim, [x, y], dtypes)[0], run(b, prim, [y, x], dtypes)[0])
      );
    },
  );
}

Deno.test("commutative primitives give the same result with their operands swapped", async (t) => {
  assert.ok(commutative.length > 0);
  for (const name of commutative) {
    await t.step(name, () => {
      const prim = KERNEL_PRIMITIVES[name] as Primitive;
      const sigs = signatures(prim, 2, {});
      assert.ok(sigs.length > 0, `${name} takes two operands of one dtype`);
      for (const dtypes of sigs) fc.assert(swapProperty(prim, dtypes), runs(40));
    });
  }
});

Deno.test("binary elementwise primitives not marked commutative are not", async (t) => {
  for (const name of BINARY_ELEMENTWISE.filter((n) => !commutative.includes(n))) {
    await t.step(name, () => {
      const prim = KERNEL_PRIMITIVES[name] as Primitive;
      const [dtypes] = signatures(prim, 2, {});
      const found = fc.check(swapProperty(prim, dtypes), runs(200));
      assert.ok(found.failed, `${name} gave the same result swapped on every input tried`);
    });
  }
});

Deno.test("elementwise primitives commute with permuting their elements", async (t) => {
  for (const name of elementwise) {
    await t.step(name, () => {
      const prim = KERNEL_PRIMITIVES[name] as Primitive;
      const { arity, params } = elementwiseForm(name);
      const sigs = signatures(prim, arity, params);
      assert.ok(sigs.length > 0, `${name}: no operand dtypes accepted`);
      for (const dtypes of sigs) {
        const operands = fc.integer({ min: 1, max: 9 }).chain((n) =>
          fc.tuple(
            fc.tuple(...dtypes.map((d) => valuesOf(d, n))),
            permutation(n),
          )
        );
        fc.assert(
          fc.property(operands, ([values, perm]) => {
            const xs = values.map((v, i) => host(dtypes[i], v));
            const permuted = values.map((v, i) => host(dtypes[i], perm.map((j) => v[j])));
            return BACKENDS.every((b) => {
              const whole = run(b, prim, xs, dtypes, params);
              const moved = run(b, prim, permuted, dtypes, params);
              return whole.every((w, o) => sameValues(moved[o], perm.map((j) => w[j])));
            });
          }),
          runs(25),
        );
      }
    });
  }
});

// ---------------------------------------------------------------- the users read the properties

Deno.test("CSE merges swapped operands exactly for the commutative binary primitives", () => {
  for (const name of [...BINARY_ELEMENTWISE, "xor" as const]) {
    const prim = KERNEL_PRIMITIVES[name] as Primitive;
    const [dtypes] = signatures(prim, 2, {});
    const avals = dtypes.map((d) => new ShapedArray([4], d));
    const j = eliminateCommonSubexpressions(
      makeJaxprFlat(([a, b]) => [bind1(prim, [a, b]), bind1(prim, [b, a])], avals),
    );
    const count = j.eqns.filter((e) => e.prim === prim).length;
    assert.equal(count, prim.properties.commutative ? 1 : 2, name);
  }
});

Deno.test("fusion ends an elementwise loop with exactly the fusible reductions, compiled right", async () => {
  for (const name of ["reduce_sum", "reduce_prod", "reduce_max", "reduce_min"] as const) {
    const prim = KERNEL_PRIMITIVES[name];
    const f = (x: Array) => bind1(prim, [bind1(KERNEL_PRIMITIVES.exp, [x])], { axes: [1] });
    const kernels = fuse(makeJaxprFlat(([x]) => [f(x)], [new ShapedArray([3, 8], "float32")]))
      .kernels;
    assert.equal(kernels.length, prim.properties.fusibleReduction ? 1 : 2, name);
    const data = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i) / 2);
    const x = ConcreteArray.fromHost(data, [3, 8], "float32", "wasm");
    const got = await jit(f, { compile: "sync", backend: "wasm" })(x).read();
    const want = await f(ConcreteArray.fromHost(data, [3, 8], "float32", "ref")).read();
    want.forEach((w, i) => assert.ok(Math.abs(got[i] - w) <= 1e-5 * Math.abs(w), `${name} ${i}`));
  }
});

Deno.test("constant folding leaves expanding primitives and folds the others", () => {
  const cases: [KernelPrimitiveName, Params][] = [
    ["broadcast_in_dim", { shape: [4, 3], dims: [1] }],
    ["pad", { lo: [2], hi: [2], interior: [0], value: 0 }],
    ["reshape", { shape: [3, 1] }],
    ["neg", {}],
  ];
  for (const [name, params] of cases) {
    const prim = KERNEL_PRIMITIVES[name] as Primitive;
    const j = makeJaxpr(() => bind(prim, [np.array([1, 2, 3])], params)[0])();
    assert.ok(j.eqns.some((e) => e.prim === prim), `${name} is staged`);
    const [inAval, outAval] = [j.eqns[0].inputs[0].aval, j.eqns[0].outBinders[0].aval];
    assert.equal(outAval.size > inAval.size, prim.properties.expanding === true, `${name} grows`);
    const kept = foldConstants(j).eqns.some((e) => e.prim === prim);
    assert.equal(kept, prim.properties.expanding === true, `${name} is left unfolded`);
  }
});

Deno.test("paramsOf reads an equation's params as its primitive's, and refuses another's", () => {
  const jaxpr = makeJaxpr((x: Array) => np.sum(x.T, 0))(np.ones([2, 3]));
  const [transpose, sum] = jaxpr.eqns;
  assert.deepEqual(paramsOf(transpose, transposeP).permutation, [1, 0]);
  assert.deepEqual(paramsOf(sum, reduceMaxP, reduceSumP).axes, [0]);
  assert.throws(
    () => paramsOf(sum, transposeP),
    /expected an equation of transpose, got reduce_sum/,
  );
  assert.throws(
    () => paramsOf(transpose, reduceMaxP, reduceMinP),
    /expected an equation of reduce_max or reduce_min, got transpose/,
  );
});
