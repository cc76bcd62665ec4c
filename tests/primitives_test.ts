/**
 * Every differentiable primitive, checked against central finite differences in float64: jvp,
 * vjp, the adjoint identity `<vjp(u), v> == <u, jvp(v)>`, and second derivatives (forward over
 * reverse and reverse over reverse) against differences of the gradient.
 *
 * The `RULES` table holds one entry per primitive (several for primitives with many modes):
 * a generator of valid inputs, kept in the function's domain and away from its kinks, together
 * with the function applied to them. Adding a primitive means adding one entry; the coverage
 * test fails until it has one.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type Array,
  customJvp,
  customVjp,
  grad,
  jvp,
  lax,
  makeJaxpr,
  numpy as np,
  Primitive,
  vjp,
} from "../mod.ts";
import { assertClose } from "./util/assert_close.ts";
import {
  arrayOf,
  axesSubset,
  broadcastableShapes,
  distinctArrayOf,
  type Domain,
  domains,
  permutation,
  runs,
  seededArray,
  shapes,
  sizeOf,
} from "./util/arbitraries.ts";
import { absInner, f64, inner, numericJvp } from "./util/finite_diff.ts";

/** A function of float64 arrays and the point at which to differentiate it. */
interface Instance {
  /** The differentiated inputs. */
  xs: Array[];
  /** The function; static parameters (axes, shapes, indices) are closed over. */
  f: (...xs: Array[]) => Array;
  /** The parameters, for failure messages. */
  label: string;
}

/** How one primitive is exercised. */
interface Rule {
  /** The primitive (as named in jaxprs) that `f` must contain. */
  prim: string;
  /** Case name when a primitive has several. */
  name?: string;
  /** Generator of instances. */
  cases: fc.Arbitrary<Instance>;
  /** The function whose finite differences give the expected derivative at `xs`. */
  reference?: (xs: Array[]) => (...ys: Array[]) => Array;
  /** Forward mode is available (customVjp functions have reverse mode only). */
  forward?: boolean;
  /** Second derivatives are checked against differences of the gradient. */
  secondOrder?: boolean;
  /** Finite-difference step. */
  eps?: number;
  /** Relative and absolute tolerance of derivative comparisons. */
  tol?: number;
}

function instance(xs: Array[], f: (...xs: Array[]) => Array, label = ""): Instance {
  return {
    xs,
    f,
    label,
    [fc.toStringMethod]: () => `${label} at ${xs.map(String).join(", ")}`,
  } as Instance;
}

const int = (min: number, max: number) => fc.integer({ min, max });

function unary(prim: string, f: (x: Array) => Array, domain: Domain = domains.real): Rule {
  return {
    prim,
    cases: shapes().chain((s) => arrayOf(s, domain)).map((x) => instance([x], f)),
  };
}

function binary(
  prim: string,
  f: (x: Array, y: Array) => Array,
  dx: Domain = domains.real,
  dy: Domain = domains.real,
): Rule {
  return {
    prim,
    cases: broadcastableShapes(2).chain(([sx, sy]) => fc.tuple(arrayOf(sx, dx), arrayOf(sy, dy)))
      .map((xs) => instance(xs, f)),
  };
}

/** Binary op whose operands never tie: `x` on the grid k/20, `y` on k/20 + 0.025. */
function untied(prim: string, f: (x: Array, y: Array) => Array): Rule {
  return {
    prim,
    cases: broadcastableShapes(2)
      .chain(([sx, sy]) => fc.tuple(distinctArrayOf(sx), distinctArrayOf(sy, 0.025)))
      .map((xs) => instance(xs, f)),
  };
}

/** A comparison, used as the predicate of a select so the result has a derivative. */
function comparison(prim: string, cmp: (x: Array, y: Array) => Array): Rule {
  return untied(prim, (x, y) => np.where(cmp(x, y), np.sin(x), np.cos(y)));
}

function reduction(
  prim: string,
  name: string,
  f: (x: Array, axes: number[], keepdims: boolean) => Array,
  values: (shape: number[]) => fc.Arbitrary<Array>,
): Rule {
  return {
    prim,
    name,
    cases: shapes({ minRank: 1 }).chain((s) =>
      fc.tuple(values(s), axesSubset(s.length, 1), fc.boolean())
    ).map(([x, axes, keepdims]) =>
      instance([x], (y) => f(y, axes, keepdims), `axes ${axes} keepdims ${keepdims}`)
    ),
  };
}

function argReduction(prim: string, f: (x: Array, axis: number) => Array): Rule {
  return {
    prim,
    cases: shapes({ minRank: 1 }).chain((s) => fc.tuple(distinctArrayOf(s), int(0, s.length - 1)))
      .map(([x, axis]) =>
        instance(
          [x],
          (y) => np.multiply(y, np.astype(np.expandDims(f(y, axis), axis), "float64")),
          `axis ${axis}`,
        )
      ),
  };
}

const broadcastInDimCases = shapes({ minRank: 1 }).chain((out) =>
  fc.tuple(
    axesSubset(out.length),
    fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
  ).chain(([dims, ones]) =>
    arrayOf(dims.map((d) => (ones[d] ? 1 : out[d]))).map((x) =>
      instance([x], (y) => lax.broadcastInDim(y, out, dims), `to [${out}] dims [${dims}]`)
    )
  )
);

const reshapeCases = shapes({ minRank: 1 }).chain((s) =>
  fc.tuple(arrayOf(s), permutation(s.length), fc.boolean(), fc.boolean())
).map(([x, perm, addOne, merge]) => {
  const target = perm.map((i) => x.shape[i]);
  if (addOne) target.splice(target.length >> 1, 0, 1);
  if (merge && target.length > 1) target.splice(0, 2, target[0] * target[1]);
  return instance([x], (y) => np.reshape(y, target), `to [${target}]`);
});

const transposeCases = shapes({ minRank: 1 }).chain((s) =>
  fc.tuple(arrayOf(s), permutation(s.length))
).map(([x, perm]) => instance([x], (y) => np.transpose(y, perm), `perm [${perm}]`));

const concatenateCases = shapes({ minRank: 1 }).chain((s) =>
  int(0, s.length - 1).chain((axis) =>
    fc.array(int(1, 3), { minLength: 1, maxLength: 3 }).chain((sizes) =>
      fc.tuple(...sizes.map((n) => arrayOf(s.map((d, i) => (i === axis ? n : d)))))
        .map((xs) =>
          instance(xs, (...ys) => np.concatenate(ys, axis), `axis ${axis} sizes ${sizes}`)
        )
    )
  )
);

const padCases = shapes({ minRank: 1 }).chain((s) =>
  fc.tuple(
    arrayOf(s),
    fc.array(fc.tuple(int(-1, 2), int(-1, 2), int(0, 2)), {
      minLength: s.length,
      maxLength: s.length,
    }),
    fc.double({ min: -1, max: 1, noNaN: true }),
  ).filter(([, cfg]) => cfg.every(([lo, hi, it], i) => lo + hi + s[i] + (s[i] - 1) * it >= 0)).map(
    ([x, cfg, value]) => {
      const lo = cfg.map((c) => c[0]), hi = cfg.map((c) => c[1]), it = cfg.map((c) => c[2]);
      return instance(
        [x],
        (y) => lax.pad(y, lo, hi, it, value),
        `lo [${lo}] hi [${hi}] interior [${it}] value ${value}`,
      );
    },
  )
);

const sliceCases = shapes({ minRank: 1, maxDim: 4 }).chain((s) =>
  fc.tuple(
    arrayOf(s),
    fc.tuple(...s.map((d) =>
      int(0, d).chain((start) => fc.tuple(fc.constant(start), int(start, d), int(1, 3)))
    )),
  )
).map(([x, cfg]) => {
  const start = cfg.map((c) => c[0]), limit = cfg.map((c) => c[1]), strides = cfg.map((c) => c[2]);
  return instance(
    [x],
    (y) => lax.slice(y, start, limit, strides),
    `start [${start}] limit [${limit}] strides [${strides}]`,
  );
});

/** `np.index` with negative steps lowers to rev + slice (+ reshape). */
const negativeStepCases = shapes({ minRank: 1, maxDim: 4 }).chain((s) =>
  fc.tuple(
    arrayOf(s),
    fc.tuple(...s.map((d) => fc.tuple(int(-d, d - 1), int(-d - 1, d), int(-3, -1)))),
  )
).map(([x, cfg]) => {
  const idx = cfg.map(([start, stop, step]) => np.s(start, stop, step));
  return instance([x], (y) => np.index(y, ...idx), `index ${JSON.stringify(idx)}`);
});

const revCases = shapes({ minRank: 1 }).chain((s) => fc.tuple(arrayOf(s), axesSubset(s.length, 1)))
  .map(([x, axes]) => instance([x], (y) => np.flip(y, axes), `axes [${axes}]`));

/** Random einsum specs with batch, contracting and free axes in random orders. */
const einsumCases = fc.record({
  batch: int(0, 1),
  contract: int(0, 2),
  freeL: int(0, 1),
  freeR: int(0, 1),
}).chain(({ batch, contract, freeL, freeR }) => {
  const b = "bc".slice(0, batch), k = "kl".slice(0, contract);
  const i = "i".slice(0, freeL), j = "j".slice(0, freeR);
  const lhs = [...b, ...k, ...i], rhs = [...b, ...k, ...j], out = [...b, ...i, ...j];
  return fc.tuple(
    permutation(lhs.length),
    permutation(rhs.length),
    permutation(out.length),
    fc.record({
      b: int(1, 3),
      c: int(1, 3),
      k: int(1, 3),
      l: int(1, 3),
      i: int(1, 3),
      j: int(1, 3),
    }),
  ).chain(([pl, pr, po, sizes]) => {
    const l = pl.map((p) => lhs[p]), r = pr.map((p) => rhs[p]), o = po.map((p) => out[p]);
    const size = (c: string) => sizes[c as keyof typeof sizes];
    const spec = `${l.join("")},${r.join("")}->${o.join("")}`;
    return fc.tuple(arrayOf(l.map(size)), arrayOf(r.map(size))).map((xs) =>
      instance(xs, (x, y) => np.einsum(spec, x, y), spec)
    );
  });
});

const matmulCases = fc.tuple(broadcastableShapes(2, 2), int(1, 3), int(1, 3), int(1, 3), int(0, 3))
  .chain(([[bx, by], n, k, m, vec]) =>
    fc.tuple(
      arrayOf(vec & 1 ? [k] : [...bx, n, k]),
      arrayOf(vec & 2 ? [k] : [...by, k, m]),
    )
  ).map((xs) => instance(xs, np.matmul, `[${xs[0].shape}] @ [${xs[1].shape}]`));

const windowCases = shapes({ minRank: 1, maxRank: 2, maxDim: 4 }).chain((s) =>
  fc.tuple(
    arrayOf(s),
    fc.tuple(...s.map((d) =>
      fc.record({
        window: int(1, 2),
        stride: int(1, 2),
        dilation: int(1, 2),
        lo: int(0, 1),
        hi: int(0, 1),
      }).filter((w) => d + w.lo + w.hi >= (w.window - 1) * w.dilation + 1)
    )),
  )
).map(([x, ws]) => {
  const p: lax.WindowParams = {
    window: ws.map((w) => w.window),
    strides: ws.map((w) => w.stride),
    padding: ws.map((w) => [w.lo, w.hi]),
    dilation: ws.map((w) => w.dilation),
  };
  return { x, p };
});

const patchesCases = windowCases.map(({ x, p }) =>
  instance([x], (y) => lax.patches(y, p), JSON.stringify(p))
);

const patchesTransposeCases = windowCases.chain(({ x, p }) => {
  const windows = lax.patches(x, p).shape;
  return arrayOf(windows).map((ct) =>
    instance([ct], (c) => lax.patchesTranspose(c, x.shape, p), `${JSON.stringify(p)} [${x.shape}]`)
  );
});

const convCases = fc.record({
  n: int(1, 2),
  groups: int(1, 2),
  cg: int(1, 2),
  og: int(1, 2),
  ns: int(1, 2),
}).chain(({ n, groups, cg, og, ns }) => {
  const perAxis = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T[]> =>
    fc.array(arb, { minLength: ns, maxLength: ns });
  return fc.record({
    k: perAxis(int(1, 3)),
    strides: perAxis(int(1, 2)),
    rhsDilation: perAxis(int(1, 2)),
    lhsDilation: perAxis(int(1, 2)),
    extra: perAxis(int(0, 2)),
    padding: fc.oneof<fc.Arbitrary<lax.Padding>[]>(
      fc.constant("VALID" as const),
      fc.constant("SAME" as const),
      perAxis(fc.tuple(int(0, 1), int(0, 1))),
    ),
  }).chain((c) => {
    const spatial = c.k.map((k, i) => (k - 1) * c.rhsDilation[i] + 1 + c.extra[i]);
    const options = {
      strides: c.strides,
      padding: c.padding,
      lhsDilation: c.lhsDilation,
      rhsDilation: c.rhsDilation,
      featureGroupCount: groups,
    };
    return fc.tuple(arrayOf([n, groups * cg, ...spatial]), arrayOf([groups * og, cg, ...c.k]))
      .map((xs) =>
        instance(xs, (x, w) => lax.conv(x, w, options), `conv ${JSON.stringify(options)}`)
      );
  });
});

function reduceWindowCases(op: lax.WindowReduction): fc.Arbitrary<Instance> {
  return shapes({ minRank: 1, maxRank: 3, maxDim: 4 }).chain((s) =>
    fc.tuple(
      op === "max" || op === "min" ? distinctArrayOf(s) : arrayOf(s),
      fc.tuple(...s.map((d) => int(1, Math.min(d, 2)))),
      fc.tuple(...s.map(() => int(1, 2))),
      fc.constantFrom("VALID" as const, "SAME" as const),
    )
  ).map(([x, window, strides, padding]) =>
    instance(
      [x],
      (y) => lax.reduceWindow(y, op, window, strides, padding),
      `${op} window [${window}] strides [${strides}] ${padding}`,
    )
  );
}

/** An operand, an axis of it, and in-range int32 indices (repeats allowed) along that axis. */
const gathers = shapes({ minRank: 1 }).chain((s) =>
  int(0, s.length - 1).chain((axis) =>
    fc.tuple(
      arrayOf(s),
      shapes({ maxRank: 2 }).chain((is) =>
        fc.array(int(0, s[axis] - 1), { minLength: sizeOf(is), maxLength: sizeOf(is) })
          .map((v) => np.reshape(np.array(v, "int32"), is))
      ),
    ).map(([x, idx]) => ({ x, idx, axis }))
  )
);

const takeCases = gathers.map(({ x, idx, axis }) =>
  instance([x], (y) => np.take(y, idx, axis), `axis ${axis} indices ${idx}`)
);

const scatterAddCases = gathers.map(({ x, idx, axis }) =>
  instance(
    [np.take(x, idx, axis)],
    (u) => lax.scatterAdd(u, idx, axis, x.shape),
    `axis ${axis} indices ${idx} into [${x.shape}]`,
  )
);

/** A gather case with updates for the combining scatters (distinct from the operand's values). */
const scatters = gathers.chain(({ x, idx, axis }) => {
  const upd = [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)];
  return fc.tuple(distinctArrayOf(x.shape), distinctArrayOf(upd, 0.025))
    .map(([y, u]) => ({ x: y, u, idx, axis }));
});

const scatterCases = scatters.map(({ x, u, idx, axis }) =>
  instance([x, u], (y, v) => lax.scatter(y, idx, v, axis), `axis ${axis} indices ${idx}`)
);

/** The product's derivative is taken with respect to the operand only, as in JAX. */
const scatterMulCases = scatters.map(({ x, u, idx, axis }) =>
  instance([x], (y) => lax.scatterMul(y, idx, u, axis), `axis ${axis} indices ${idx} by ${u}`)
);

const extremalCases = (op: typeof lax.scatterMin) =>
  scatters.map(({ x, u, idx, axis }) =>
    instance([x, u], (y, v) => op(y, idx, v, axis), `axis ${axis} indices ${idx}`)
  );

const advancedIndexCases = shapes({ minRank: 2 }).chain((s) =>
  fc.tuple(
    arrayOf(s),
    fc.array(int(-s[0], s[0] - 1), { minLength: 3, maxLength: 3 }),
    fc.array(int(-s[1], s[1] - 1), { minLength: 3, maxLength: 3 }),
  )
).map(([x, i, j]) => instance([x], (y) => np.index(y, i, j), `x[${i}, ${j}]`));

const softplus = customJvp(
  (x: Array) => np.log1p(np.exp(x)),
  ([x], [t]) => [np.log1p(np.exp(x)), np.multiply(t, np.sigmoid(x))],
);

const sinTimes = customVjp(
  (x: Array, y: Array) => np.multiply(np.sin(x), y),
  (x: Array, y: Array) => [np.multiply(np.sin(x), y), [np.cos(x), np.sin(x), y]],
  (
    [cosX, sinX, y]: Array[],
    ct: Array,
  ) => [np.multiply(np.multiply(ct, cosX), y), np.multiply(ct, sinX)],
);

const sameShapePair = shapes().chain((s) => fc.tuple(arrayOf(s), arrayOf(s)));

/** One entry per primitive; several for primitives with many modes. */
const RULES: Rule[] = [
  unary("neg", np.negative),
  unary("sin", np.sin),
  unary("cos", np.cos),
  unary("exp", np.exp),
  unary("log", np.log, domains.positive),
  unary("log1p", np.log1p, domains.aboveMinusOne),
  unary("expm1", np.expm1),
  unary("tanh", np.tanh),
  unary("logistic", np.sigmoid),
  unary("sqrt", np.sqrt, domains.positive),
  unary("rsqrt", np.rsqrt, domains.positive),
  unary("abs", np.abs, domains.nonzero),
  unary("sign", (x) => np.multiply(np.sign(x), np.sin(x)), domains.nonzero),
  unary("erf", np.erf),
  unary("cbrt", np.cbrt, domains.nonzero),
  unary("asinh", np.arcsinh),
  unary("acosh", (x) => np.arccosh(np.add(np.square(x), 1.5))),
  unary("erf_inv", np.erfInv, domains.unit),
  unary("floor", (x) => np.multiply(np.floor(x), x), domains.nonInteger),
  unary("ceil", (x) => np.multiply(np.ceil(x), x), domains.nonInteger),
  unary("round", (x) => np.multiply(np.round(x), x), domains.awayFromHalves),
  unary(
    "not",
    (x) => np.where(np.logicalNot(np.greater(x, 0)), np.sin(x), np.cos(x)),
    domains.nonzero,
  ),
  binary("add", np.add),
  binary("sub", np.subtract),
  binary("mul", np.multiply),
  binary("div", np.divide, domains.real, domains.nonzero),
  binary("pow", np.power, domains.positive, domains.real),
  // y > 0: away from the branch cut along the negative x axis and the origin.
  binary("atan2", np.arctan2, domains.real, domains.positive),
  // |y| within 2% of 1 and x at least 0.1 from integers: x / y stays off the integers where
  // rem jumps.
  binary("rem", np.fmod, domains.nonInteger, (u) => Math.sign(u || 1) * (1 + 0.02 * Math.abs(u))),
  untied("max", np.maximum),
  untied("min", np.minimum),
  comparison("eq", np.equal),
  comparison("ne", np.notEqual),
  comparison("lt", np.less),
  comparison("le", np.lessEqual),
  comparison("gt", np.greater),
  comparison("ge", np.greaterEqual),
  binary(
    "and",
    (x, y) => np.where(np.logicalAnd(np.greater(x, 0), np.greater(y, 0)), x.mul(y), x.add(y)),
    domains.nonzero,
    domains.nonzero,
  ),
  binary(
    "or",
    (x, y) => np.where(np.logicalOr(np.greater(x, 0), np.greater(y, 0)), x.mul(y), x.sub(y)),
    domains.nonzero,
    domains.nonzero,
  ),
  {
    prim: "select_n",
    cases: broadcastableShapes(3).chain(([sc, sx, sy]) =>
      fc.tuple(arrayOf(sc, domains.nonzero), arrayOf(sx), arrayOf(sy))
    ).map((xs) => instance(xs, (c, x, y) => np.where(np.greater(c, 0), x, y))),
  },
  {
    prim: "convert_element_type",
    name: "float64 -> float32 -> float64",
    cases: shapes().chain((s) => arrayOf(s)).map((x) =>
      instance([x], (y) => np.astype(np.astype(y, "float32"), "float64"))
    ),
    eps: 1e-2,
    tol: 1e-5,
  },
  unary(
    "convert_element_type",
    (x) => np.multiply(x, np.astype(np.astype(x, "int32"), "float64")),
    domains.nonInteger,
  ),
  {
    ...unary("stop_gradient", (x) => np.multiply(x, np.stopGradient(x))),
    reference: ([x0]) => (x) => np.multiply(x, x0),
    secondOrder: false,
  },
  reduction("reduce_sum", "np.sum", np.sum, (s) => arrayOf(s)),
  reduction("reduce_sum", "np.mean", np.mean, (s) => arrayOf(s)),
  reduction("reduce_max", "np.max", np.max, (s) => distinctArrayOf(s)),
  reduction("reduce_min", "np.min", np.min, (s) => distinctArrayOf(s)),
  reduction("reduce_prod", "np.prod", np.prod, (s) => arrayOf(s, domains.prodSafe)),
  reduction("reduce_prod", "np.prod with zeros", np.prod, (s) => arrayOf(s, domains.someZeros)),
  argReduction("argmax", np.argmax),
  argReduction("argmin", np.argmin),
  { prim: "broadcast_in_dim", cases: broadcastInDimCases },
  {
    prim: "broadcast_in_dim",
    name: "numpy broadcasting of size-1 axes",
    cases: broadcastableShapes(2).chain(([a, b]) => fc.tuple(arrayOf(a), arrayOf(b)))
      .map(([x, y]) => instance([x], (z) => np.multiply(z, y), `times [${y.shape}]`)),
  },
  { prim: "reshape", cases: reshapeCases },
  { prim: "transpose", cases: transposeCases },
  { prim: "concatenate", cases: concatenateCases },
  { prim: "pad", name: "negative and interior padding", cases: padCases },
  { prim: "slice", name: "strided", cases: sliceCases },
  { prim: "slice", name: "np.index with negative steps", cases: negativeStepCases },
  { prim: "rev", cases: revCases },
  { prim: "dot_general", name: "np.einsum", cases: einsumCases },
  { prim: "dot_general", name: "np.matmul with broadcast batch axes", cases: matmulCases },
  { prim: "patches", cases: patchesCases },
  { prim: "patches", name: "lax.conv", cases: convCases },
  { prim: "reduce_max", name: "lax.reduceWindow max", cases: reduceWindowCases("max") },
  { prim: "reduce_sum", name: "lax.reduceWindow avg", cases: reduceWindowCases("avg") },
  { prim: "patches_transpose", cases: patchesTransposeCases },
  { prim: "take", cases: takeCases },
  { prim: "scatter_add", cases: scatterAddCases },
  { prim: "take", name: "np.index with two integer arrays", cases: advancedIndexCases },
  { prim: "scatter", cases: scatterCases },
  { prim: "scatter_mul", cases: scatterMulCases },
  { prim: "scatter_min", cases: extremalCases(lax.scatterMin) },
  { prim: "scatter_max", cases: extremalCases(lax.scatterMax) },
  {
    prim: "sort",
    name: "keys and a payload",
    cases: shapes({ minRank: 1 }).chain((s) =>
      fc.tuple(distinctArrayOf(s), arrayOf(s), int(0, s.length - 1))
    ).map(([k, v, dim]) =>
      instance([k, v], (keys, payload) => {
        const [sk, sv] = lax.sort([keys, payload], dim);
        return np.add(sk, np.multiply(sv, 2));
      }, `dimension ${dim}`)
    ),
  },
  {
    prim: "custom_jvp",
    name: "customJvp softplus",
    cases: shapes().chain((s) => arrayOf(s)).map((x) => instance([x], softplus)),
  },
  {
    prim: "custom_lin",
    name: "customVjp sin(x) * y",
    cases: sameShapePair.map((xs) => instance(xs, sinTimes)),
    forward: false,
  },
];

/** Every primitive object exported by a module of core/primitives (found on disk). */
async function allPrimitives(): Promise<Primitive[]> {
  const dir = new URL("../core/primitives/", import.meta.url);
  const found: Primitive[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".ts")) continue;
    const module = await import(new URL(entry.name, dir).href);
    found.push(...Object.values(module).filter((v): v is Primitive => v instanceof Primitive));
  }
  return found;
}

/** Primitives with integer inputs and outputs only: nothing to differentiate. */
const INTEGER_ONLY = new Set([
  "xor",
  "shift_left",
  "shift_right_logical",
  "shift_right_arithmetic",
  "bitcast_convert_type",
  "threefry2x32",
]);

/**
 * Rules whose name never shows in a traced function: custom_jvp is a tracing construct, not a
 * primitive, and custom_lin only appears while differentiating.
 */
const ONLY_UNDER_DIFFERENTIATION = new Set(["custom_lin", "custom_jvp"]);

function ruleName(r: Rule): string {
  return r.name ? `${r.prim}: ${r.name}` : r.prim;
}

function referenceFn(rule: Rule, inst: Instance): (...xs: Array[]) => Array {
  return rule.reference ? rule.reference(inst.xs) : inst.f;
}

function directions(xs: Array[], seed: number): Array[] {
  return xs.map((x, i) => seededArray(x.shape, seed + i));
}

function closeInner(a: number, b: number, scale: number, tol: number, what: string): void {
  assert.ok(Math.abs(a - b) <= tol * (1 + scale), `${what}: ${a} vs ${b}`);
}

/** Runs `check` on generated instances of every rule, one step per rule. */
async function forEachRule(
  t: Deno.TestContext,
  applies: (r: Rule) => boolean,
  check: (rule: Rule, inst: Instance, seed: number) => void,
  numRuns = 40,
): Promise<void> {
  for (const rule of RULES.filter(applies)) {
    await t.step(ruleName(rule), () => {
      fc.assert(
        fc.property(
          rule.cases,
          fc.integer({ min: 0, max: 1 << 30 }),
          (inst, seed) => check(rule, inst, seed),
        ),
        runs(numRuns),
      );
    });
  }
}

Deno.test("every primitive has a differentiation rule in the table, and uses it", async () => {
  const covered = new Set([...RULES.map((r) => r.prim), ...INTEGER_ONLY]);
  const missing = (await allPrimitives()).map((p) => p.name).filter((n) => !covered.has(n));
  assert.deepEqual(missing, [], `primitives without a rule: ${missing.join(", ")}`);
  for (const rule of RULES) {
    if (ONLY_UNDER_DIFFERENTIATION.has(rule.prim)) continue;
    const samples = fc.sample(rule.cases, { numRuns: 10, seed: 7 });
    const found = samples.some((inst) =>
      makeJaxpr(inst.f)(...inst.xs).toString().includes(` ${rule.prim}`)
    );
    assert.ok(found, `${ruleName(rule)}: no sample's jaxpr contains ${rule.prim}`);
  }
});

Deno.test("jvp matches central differences", async (t) => {
  await forEachRule(t, (r) => r.forward !== false, (rule, inst, seed) => {
    const vs = directions(inst.xs, seed);
    const [y, ty] = jvp(inst.f, inst.xs, vs) as [Array, Array];
    assertClose(y, inst.f(...inst.xs), { rtol: 1e-12, atol: 1e-12 }, "primal");
    const tol = rule.tol ?? 1e-6;
    assertClose(ty, numericJvp(referenceFn(rule, inst), inst.xs, vs, rule.eps) as Array, {
      rtol: tol,
      atol: tol,
    }, "tangent");
  });
});

Deno.test("vjp matches central differences, argument by argument", async (t) => {
  await forEachRule(t, () => true, (rule, inst, seed) => {
    const [y, pull] = vjp(inst.f, ...inst.xs) as [Array, (ct: Array) => Array[]];
    const u = seededArray(y.shape, seed + 1000);
    const cts = pull(u);
    assert.equal(cts.length, inst.xs.length);
    const vs = directions(inst.xs, seed);
    inst.xs.forEach((x, i) => {
      assert.deepEqual(cts[i].shape, x.shape, `cotangent ${i} shape`);
      const only = vs.map((v, j) => (j === i ? v : f64(new Float64Array(v.size), v.shape)));
      const fd = numericJvp(referenceFn(rule, inst), inst.xs, only, rule.eps) as Array;
      closeInner(inner(cts[i], vs[i]), inner(u, fd), absInner(u, fd), rule.tol ?? 1e-6, `arg ${i}`);
    });
  });
});

Deno.test("<vjp(u), v> equals <u, jvp(v)>", async (t) => {
  await forEachRule(t, (r) => r.forward !== false, (rule, inst, seed) => {
    const vs = directions(inst.xs, seed);
    const [, ty] = jvp(inst.f, inst.xs, vs) as [Array, Array];
    const [y, pull] = vjp(inst.f, ...inst.xs) as [Array, (ct: Array) => Array[]];
    const u = seededArray(y.shape, seed + 1000);
    const cts = pull(u);
    const tol = rule.tol ?? 1e-10;
    closeInner(inner(cts, vs), inner(u, ty), absInner(u, ty), tol, "adjoint identity");
  });
});

Deno.test("second derivatives match differences of the gradient", async (t) => {
  await forEachRule(t, (r) => r.secondOrder !== false, (rule, inst, seed) => {
    const y = inst.f(...inst.xs);
    const u = seededArray(y.shape, seed + 1000);
    const argnums = inst.xs.map((_, i) => i);
    const g = (...xs: Array[]) => np.sum(np.multiply(inst.f(...xs), u));
    const gradFn = (...xs: Array[]) => grad(g, { argnums })(...xs) as Array[];
    const vs = directions(inst.xs, seed);
    const expected = numericJvp(gradFn, inst.xs, vs, rule.eps) as Array[];
    const tol = { rtol: rule.tol ?? 1e-6, atol: rule.tol ?? 1e-6 };
    const [, fwdOverRev] = jvp(gradFn, inst.xs, vs) as [Array[], Array[]];
    fwdOverRev.forEach((h, i) => assertClose(h, expected[i], tol, `jvp of grad, arg ${i}`));
    const hvp = (...xs: Array[]) =>
      gradFn(...xs).reduce(
        (acc, gi, i) => np.add(acc, np.sum(np.multiply(gi, vs[i]))),
        np.zeros([], "float64"),
      );
    const revOverRev = grad(hvp, { argnums })(...inst.xs) as Array[];
    revOverRev.forEach((h, i) => assertClose(h, expected[i], tol, `grad of grad, arg ${i}`));
  }, 15);
});
