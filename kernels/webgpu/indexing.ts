/**
 * Integer indexing along one axis. `take` gathers; `scatter_add` and the combining scatters
 * (`scatter`, `scatter_mul`, `scatter_min`, `scatter_max`) are written as gathers too (each
 * output element folds in the updates whose index hits it, in index order, so the last repeat
 * wins for `scatter`), which is deterministic and needs no atomics. An index out of range cannot throw on the GPU: the kernel writes 0 there and records
 * the first bad index in the runtime's status buffer, and the next `read` raises the error.
 * @module
 */
import { sizeOf } from "../../core/shape.ts";
import type { ParamsOf } from "../rule_table.ts";
import { allocFor, type GpuRule, type GpuRuleTable } from "./rule.ts";
import { type Kernel, STATUS_OPS } from "./runtime.ts";
import { buffer, type GpuDType, grid, KernelParams, literal, SCALAR } from "./wgsl.ts";
import { withHelpers } from "./wgsl_math.ts";

/** WGSL that records a bad index `v` for an axis of `n` in the status buffer. */
function report(op: string, v: string, n: string): string {
  return `if (atomicAdd(&status[0], 1u) == 0u) {
      atomicStore(&status[1], ${STATUS_OPS.indexOf(op)}u);
      atomicStore(&status[2], bitcast<u32>(${v}));
      atomicStore(&status[3], u32(${n}));
    }`;
}

/** The status buffer's declaration at `binding`. */
function statusDecl(binding: number): string {
  return `@group(0) @binding(${binding}) var<storage, read_write> status: array<atomic<u32>, 4>;`;
}

const STATUS_DECL = statusDecl(3);

/** Geometry shared by both primitives: `outer` rows, `n` positions on the axis, `inner` per row. */
interface AxisSplit {
  outer: number;
  n: number;
  inner: number;
  count: number;
}

function split(shape: readonly number[], axis: number, count: number): AxisSplit {
  return {
    outer: sizeOf(shape.slice(0, axis)),
    n: shape[axis],
    inner: sizeOf(shape.slice(axis + 1)),
    count,
  };
}

function takeKernel(dtype: GpuDType, s: AxisSplit): Kernel {
  const p = new KernelParams();
  const g = grid(s.outer * s.count * s.inner, p);
  const [n, inner, count] = [p.int(s.n), p.uint(s.inner), p.uint(s.count)];
  const source = `${buffer(0, "src", dtype)}
${buffer(1, "idx", "int32")}
${buffer(2, "out", dtype, true)}
${STATUS_DECL}
${p.declare(4)}
${g.prologue}
  let r = i % ${inner};
  let j = (i / ${inner}) % ${count};
  let o = i / (${inner} * ${count});
  let v = idx[j];
  if (v < 0i || v >= ${n}) {
    out[i] = ${literal(0, dtype)};
    ${report("take", "v", n)}
    return;
  }
  out[i] = src[(o * u32(${n}) + u32(v)) * ${inner} + r];
}`;
  return { source, groups: g.groups, params: p.values };
}

function scatterAddKernel(dtype: GpuDType, s: AxisSplit): Kernel {
  const p = new KernelParams();
  const g = grid(s.outer * s.n * s.inner, p);
  const [n, inner, count] = [p.int(s.n), p.uint(s.inner), p.uint(s.count)];
  const source = `${buffer(0, "upd", dtype)}
${buffer(1, "idx", "int32")}
${buffer(2, "out", dtype, true)}
${STATUS_DECL}
${p.declare(4)}
${g.prologue}
  let r = i % ${inner};
  let at = i32((i / ${inner}) % u32(${n}));
  let o = i / (${inner} * u32(${n}));
  var acc: ${SCALAR[dtype]} = ${literal(0, dtype)};
  for (var j = 0u; j < ${count}; j++) {
    let v = idx[j];
    if (v == at) { acc += upd[(o * ${count} + j) * ${inner} + r]; }
    if (i == 0u && (v < 0i || v >= ${n})) {
      ${report("scatter_add", "v", n)}
    }
  }
  out[i] = acc;
}`;
  return { source, groups: g.groups, params: p.values };
}

/** How each combining scatter merges update `u` into the value `a` already there. */
const COMBINE: Record<string, (dtype: GpuDType) => string> = {
  scatter: () => "u",
  scatter_mul: () => "a * u",
  scatter_min: (d) => (d === "float32" ? "min_f(a, u)" : "min(a, u)"),
  scatter_max: (d) => (d === "float32" ? "max_f(a, u)" : "max(a, u)"),
};

/** A combining scatter written as a gather: each output element folds in its updates in order. */
function combiningScatterKernel(op: string, dtype: GpuDType, s: AxisSplit): Kernel {
  const p = new KernelParams();
  const g = grid(s.outer * s.n * s.inner, p);
  const [n, inner, count] = [p.int(s.n), p.uint(s.inner), p.uint(s.count)];
  const source = withHelpers(`${buffer(0, "operand", dtype)}
${buffer(1, "idx", "int32")}
${buffer(2, "upd", dtype)}
${buffer(3, "out", dtype, true)}
${statusDecl(4)}
${p.declare(5)}
${g.prologue}
  let r = i % ${inner};
  let at = i32((i / ${inner}) % u32(${n}));
  let o = i / (${inner} * u32(${n}));
  var a: ${SCALAR[dtype]} = operand[i];
  for (var j = 0u; j < ${count}; j++) {
    let v = idx[j];
    if (v == at) {
      let u = upd[(o * ${count} + j) * ${inner} + r];
      a = ${COMBINE[op](dtype)};
    }
    if (i == 0u && (v < 0i || v >= ${n})) {
      ${report(op, "v", n)}
    }
  }
  out[i] = a;
}`);
  return { source, groups: g.groups, params: p.values };
}

function combiningScatter(op: string): GpuRule<ParamsOf<"scatter">> {
  return (rt, [x, idx, u], [a, ia], { axis }, [out]) => {
    const result = allocFor(rt, out);
    const s = split(a.shape, axis, ia.size);
    rt.run(combiningScatterKernel(op, out.dtype as GpuDType, s), [x, idx, u, result, rt.status]);
    return [result];
  };
}

const take: GpuRule<ParamsOf<"take">> = (rt, [x, idx], [a, ia], { axis }, [out]) => {
  const result = allocFor(rt, out);
  const s = split(a.shape, axis, ia.size);
  rt.run(takeKernel(out.dtype as GpuDType, s), [x, idx, result, rt.status]);
  return [result];
};

const scatterAdd: GpuRule<ParamsOf<"scatter_add">> = (rt, [u, idx], [, ia], { axis }, [out]) => {
  const result = allocFor(rt, out);
  const s = split(out.shape, axis, ia.size);
  rt.run(scatterAddKernel(out.dtype as GpuDType, s), [u, idx, result, rt.status]);
  return [result];
};

/** WebGPU rules of the indexing primitives. */
export const indexingRules: Pick<
  GpuRuleTable,
  "take" | "scatter_add" | "scatter" | "scatter_mul" | "scatter_min" | "scatter_max"
> = {
  take,
  scatter_add: scatterAdd,
  scatter: combiningScatter("scatter"),
  scatter_mul: combiningScatter("scatter_mul"),
  scatter_min: combiningScatter("scatter_min"),
  scatter_max: combiningScatter("scatter_max"),
};
