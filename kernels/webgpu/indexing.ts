/**
 * Integer indexing along one axis. `take` gathers; `scatter_add` is written as a gather too (each
 * output element sums the updates whose index hits it), which is deterministic and needs no float
 * atomics. An index out of range cannot throw on the GPU: the kernel writes 0 there and records
 * the first bad index in the runtime's status buffer, and the next `read` raises the error.
 * @module
 */
import { sizeOf } from "../../core/shape.ts";
import { allocFor, type GpuRule } from "./rule.ts";
import { type Kernel, STATUS_OPS } from "./runtime.ts";
import { buffer, type GpuDType, grid, KernelParams, literal, SCALAR } from "./wgsl.ts";

/** WGSL that records a bad index `v` for an axis of `n` in the status buffer. */
function report(op: string, v: string, n: string): string {
  return `if (atomicAdd(&status[0], 1u) == 0u) {
      atomicStore(&status[1], ${STATUS_OPS.indexOf(op)}u);
      atomicStore(&status[2], bitcast<u32>(${v}));
      atomicStore(&status[3], u32(${n}));
    }`;
}

const STATUS_DECL = "@group(0) @binding(3) var<storage, read_write> status: array<atomic<u32>, 4>;";

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

const take: GpuRule = (rt, [x, idx], [a, ia], { axis }, [out]) => {
  const result = allocFor(rt, out);
  const s = split(a.shape, axis as number, ia.size);
  rt.run(takeKernel(out.dtype as GpuDType, s), [x, idx, result, rt.status]);
  return [result];
};

const scatterAdd: GpuRule = (rt, [u, idx], [, ia], { axis }, [out]) => {
  const result = allocFor(rt, out);
  const s = split(out.shape, axis as number, ia.size);
  rt.run(scatterAddKernel(out.dtype as GpuDType, s), [u, idx, result, rt.status]);
  return [result];
};

/** WebGPU rules of the indexing primitives. */
export const indexingRules: Record<string, GpuRule> = { take, scatter_add: scatterAdd };
