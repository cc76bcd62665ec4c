/**
 * Sliding windows: `patches` gathers every window element (zero outside the padded input), and
 * `patches_transpose` is written as a gather too: each input element sums the window elements
 * that read it. Per axis those form a short arithmetic range of window offsets, computed up front,
 * so the work is proportional to the overlap, not to the window volume, and needs no atomics.
 * @module
 */
import { sizeOf, stridesOf } from "../../core/shape.ts";
import type {
  PatchesParams,
  PatchesTransposeParams,
  WindowParams,
} from "../../core/primitives/patches.ts";
import { allocFor, type GpuRule, type GpuRuleTable } from "./rule.ts";
import type { Kernel } from "./runtime.ts";
import { buffer, type GpuDType, grid, KernelParams, literal, SCALAR } from "./wgsl.ts";

/** WGSL statements that decompose `i` over `shape` into i32 coordinates `${name}0..`. */
function coords(shape: readonly number[], name: string, p: KernelParams): string {
  const lines = ["var r = i;"];
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = p.uint(shape[d]);
    lines.push(`let ${name}${d} = i32(r % ${n});`, `r = r / ${n};`);
  }
  return lines.join("\n  ");
}

/** `patches`: output `[...counts, ...window]` from an input of `inShape`. */
function patchesKernel(
  dtype: GpuDType,
  inShape: readonly number[],
  outShape: readonly number[],
  w: WindowParams,
): Kernel {
  const nd = inShape.length;
  const p = new KernelParams();
  const g = grid(sizeOf(outShape), p);
  const xs = stridesOf(inShape);
  const split = coords(outShape, "e", p);
  const axes = inShape.map((size, d) =>
    `let p${d} = e${d} * ${p.int(w.strides[d])} - ${p.int(w.padding[d][0])} + e${nd + d} * ${
      p.int(w.dilation[d])
    };
  if (p${d} < 0 || p${d} >= ${p.int(size)}) { inside = false; } else { at += p${d} * ${
      p.int(xs[d])
    }; }`
  );
  const source = `${buffer(0, "src", dtype)}
${buffer(1, "out", dtype, true)}
${p.declare(2)}
${g.prologue}
  ${split}
  var at: i32 = 0;
  var inside = true;
  ${axes.join("\n  ")}
  if (inside) { out[i] = src[u32(at)]; } else { out[i] = ${literal(0, dtype)}; }
}`;
  return { source, groups: g.groups, params: p.values };
}

/** `patches_transpose`: sums windows `[...counts, ...window]` back into `outShape`. */
function patchesTransposeKernel(
  dtype: GpuDType,
  ctShape: readonly number[],
  outShape: readonly number[],
  w: WindowParams,
): Kernel {
  const nd = outShape.length;
  const p = new KernelParams();
  const g = grid(sizeOf(outShape), p);
  const cs = stridesOf(ctShape);
  const split = coords(outShape, "o", p);
  const axes = outShape.map((_, d) => ({
    pad: p.int(w.padding[d][0]),
    window: p.int(w.window[d]),
    dil: p.int(w.dilation[d]),
    stride: p.int(w.strides[d]),
    reach: p.int((ctShape[d] - 1) * w.strides[d]),
    countStride: p.int(cs[d]),
    windowStride: p.int(cs[nd + d]),
  }));
  let body = `acc += ct[${nd ? `a${nd - 1}` : 0}];`;
  for (let d = nd - 1; d >= 0; d--) {
    const x = axes[d];
    body = `let e${d} = o${d} + ${x.pad};
  let hi${d} = min(${x.window} - 1, select(-1, e${d} / ${x.dil}, e${d} >= 0));
  let q${d} = e${d} - ${x.reach};
  let lo${d} = select(0, (q${d} + ${x.dil} - 1) / ${x.dil}, q${d} > 0);
  for (var w${d} = lo${d}; w${d} <= hi${d}; w${d}++) {
    let t${d} = e${d} - w${d} * ${x.dil};
    if (t${d} % ${x.stride} != 0) { continue; }
    let a${d} = ${
      d === 0 ? "0" : `a${d - 1}`
    } + (t${d} / ${x.stride}) * ${x.countStride} + w${d} * ${x.windowStride};
    ${body}
  }`;
  }
  const source = `${buffer(0, "ct", dtype)}
${buffer(1, "out", dtype, true)}
${p.declare(2)}
${g.prologue}
  ${split}
  var acc: ${SCALAR[dtype]} = ${literal(0, dtype)};
  ${body}
  out[i] = acc;
}`;
  return { source, groups: g.groups, params: p.values };
}

const patches: GpuRule<PatchesParams> = (rt, [x], [a], p, [out]) => {
  const result = allocFor(rt, out);
  rt.run(patchesKernel(out.dtype as GpuDType, a.shape, out.shape, p), [x, result]);
  return [result];
};

const patchesTranspose: GpuRule<PatchesTransposeParams> = (rt, [ct], [a], p, [out]) => {
  const result = allocFor(rt, out);
  rt.run(patchesTransposeKernel(out.dtype as GpuDType, a.shape, out.shape, p), [ct, result]);
  return [result];
};

/** WebGPU rules of the window primitives. */
export const patchesRules: Pick<GpuRuleTable, "patches" | "patches_transpose"> = {
  patches,
  patches_transpose: patchesTranspose,
};
