/**
 * Reductions over a set of axes (sum, prod, max, min) and index reductions (argmax, argmin).
 *
 * An output element's inputs sit at `base(kept coords) + offset(reduced coords)`. Short
 * reductions run one invocation per output element; long ones one workgroup per output element:
 * each of 256 invocations folds a strided share, then a tree in workgroup memory combines them.
 * @module
 */
import type { ShapedArray } from "../../core/aval.ts";
import { sizeOf, stridesOf } from "../../core/shape.ts";
import { allocFor, type GpuRule } from "./rule.ts";
import type { Kernel } from "./runtime.ts";
import {
  buffer,
  collapseAxes,
  type GpuDType,
  grid,
  KernelParams,
  literal,
  MAX_GROUPS,
  SCALAR,
  stridedOffset,
  WORKGROUP,
} from "./wgsl.ts";
import { withHelpers } from "./wgsl_math.ts";
import { reductionIdentity } from "../../core/reduction_identity.ts";

/**
 * How one reduction combines values: the combining expression and its identity (also the result
 * of reducing no elements, as JAX's).
 */
export interface Monoid {
  /** WGSL expression combining two partial results. */
  combine: (a: string, b: string) => string;
  /** The neutral element (the starting value of every fold, and an empty one's result). */
  identity: number;
}

/** A reduction's monoid for each dtype. */
export type Reducer = (dtype: GpuDType) => Monoid;

const ordered = (fn: "max" | "min"): Reducer => (dtype) => ({
  combine: (a, b) => dtype === "float32" ? `${fn}_f(${a}, ${b})` : `${fn}(${a}, ${b})`,
  identity: reductionIdentity(fn === "max" ? "reduce_max" : "reduce_min", dtype),
});

/** The reductions by primitive name. */
export const REDUCERS: Record<string, Reducer> = {
  reduce_sum: () => ({ combine: (a, b) => `${a} + ${b}`, identity: 0 }),
  reduce_prod: () => ({ combine: (a, b) => `${a} * ${b}`, identity: 1 }),
  reduce_max: ordered("max"),
  reduce_min: ordered("min"),
};

/** Reductions with at most this many terms per output use one invocation per output. */
const SERIAL_LIMIT = 128;

/** Splits `shape` into kept and reduced axes, each with its input strides collapsed. */
function layout(shape: readonly number[], axes: readonly number[]) {
  const xs = stridesOf(shape);
  const pick = (keep: boolean) => {
    const ds = shape.map((_, d) => d).filter((d) => axes.includes(d) !== keep);
    return collapseAxes(ds.map((d) => shape[d]), ds.map((d) => xs[d]));
  };
  return { kept: pick(true), reduced: pick(false) };
}

/** The kernel reducing `shape` over `axes` with `m`. */
export function reduceKernel(
  dtype: GpuDType,
  shape: readonly number[],
  axes: readonly number[],
  m: Monoid,
): Kernel {
  const { kept, reduced } = layout(shape, axes);
  const K = sizeOf(kept.shape), R = sizeOf(reduced.shape);
  const T = SCALAR[dtype];
  const p = new KernelParams();
  const decls = `${buffer(0, "src", dtype)}\n${buffer(1, "out", dtype, true)}`;
  const base = (k: string) =>
    `var at: i32 = 0;\n  ${stridedOffset(k, "at", kept.shape, kept.strides, p)}`;
  const fold = (r: string) =>
    `var off: i32 = at;\n    ${stridedOffset(r, "off", reduced.shape, reduced.strides, p)}
    acc = ${m.combine("acc", "src[u32(off)]")};`;
  if (R === 0) {
    const g = grid(K, p);
    // \`src\` is bound but has nothing to read; naming it keeps it in the pipeline's layout.
    const source = `${decls}\n${p.declare(2)}\n${g.prologue}
  _ = arrayLength(&src);
  out[i] = ${p.scalar(m.identity, dtype)};
}`;
    return { source, groups: g.groups, params: p.values };
  }
  if (R <= SERIAL_LIMIT) {
    const g = grid(K, p);
    const body = `${base("i")}
  var acc: ${T} = ${literal(m.identity, dtype)};
  for (var r = 0u; r < ${p.uint(R)}; r++) {
    ${fold("r")}
  }
  out[i] = acc;
}`;
    return {
      source: withHelpers(`${decls}\n${p.declare(2)}\n${g.prologue}\n  ${body}`),
      groups: g.groups,
      params: p.values,
    };
  }
  const nx = Math.min(K, MAX_GROUPS);
  const body = `let k = wid.x + wid.y * nwg.x;
  let live = k < ${p.uint(K)};
  var acc: ${T} = ${literal(m.identity, dtype)};
  if (live) {
    ${base("k")}
    for (var r = lid.x; r < ${p.uint(R)}; r += ${WORKGROUP}u) {
      ${fold("r")}
    }
  }
  part[lid.x] = acc;
  workgroupBarrier();
  for (var s = ${WORKGROUP / 2}u; s > 0u; s = s >> 1u) {
    if (lid.x < s) { part[lid.x] = ${m.combine("part[lid.x]", "part[lid.x + s]")}; }
    workgroupBarrier();
  }
  if (lid.x == 0u && live) { out[k] = part[0]; }
}`;
  const source = withHelpers(`${decls}
${p.declare(2)}
var<workgroup> part: array<${T}, ${WORKGROUP}>;
@compute @workgroup_size(${WORKGROUP})
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
) {
  ${body}`);
  return { source, groups: [nx, Math.ceil(K / nx), 1], params: p.values };
}

function reduceRule(name: string): GpuRule {
  return (rt, [x], [a], { axes }, [out]) => {
    const dtype = a.dtype as GpuDType;
    const result = allocFor(rt, out);
    const kernel = reduceKernel(dtype, a.shape, axes as number[], REDUCERS[name](dtype));
    rt.run(kernel, [x, result]);
    return [result];
  };
}

/** First index of the extreme along `axis`; a NaN wins at once, as in the ref backend. */
function argKernel(name: string, dtype: GpuDType, a: ShapedArray, axis: number): Kernel {
  const n = a.shape[axis];
  const inner = sizeOf(a.shape.slice(axis + 1));
  const p = new KernelParams();
  const g = grid(sizeOf(a.shape) / n, p);
  const better = name === "argmax" ? ">" : "<";
  const nan = dtype === "float32";
  const len = p.uint(n), step = p.uint(inner);
  const source = withHelpers(`${buffer(0, "src", dtype)}
${buffer(1, "out", "int32", true)}
${p.declare(2)}
${g.prologue}
  let base = (i / ${step}) * ${len} * ${step} + i % ${step};
  var best = src[base];
  var at = 0i;
  for (var j = 1u; j < ${len}${nan ? " && !is_nan(best)" : ""}; j++) {
    let v = src[base + j * ${step}];
    if (v ${better} best${nan ? " || is_nan(v)" : ""}) { best = v; at = i32(j); }
  }
  out[i] = at;
}`);
  return { source, groups: g.groups, params: p.values };
}

function argRule(name: string): GpuRule {
  return (rt, [x], [a], { axis }, [out]) => {
    const result = allocFor(rt, out);
    rt.run(argKernel(name, a.dtype as GpuDType, a, axis as number), [x, result]);
    return [result];
  };
}

/** WebGPU rules of the reduction primitives. */
export const reductionRules: Record<
  "reduce_sum" | "reduce_prod" | "reduce_max" | "reduce_min" | "argmax" | "argmin",
  GpuRule
> = {
  reduce_sum: reduceRule("reduce_sum"),
  reduce_prod: reduceRule("reduce_prod"),
  reduce_max: reduceRule("reduce_max"),
  reduce_min: reduceRule("reduce_min"),
  argmax: argRule("argmax"),
  argmin: argRule("argmin"),
};
