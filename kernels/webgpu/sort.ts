/**
 * `sort` on the GPU, the straightforward way: one invocation per element counts, across its line
 * along the sorted dimension, the elements that come before it (smaller in the lexicographic order
 * of the keys, NaN after every number, or equal and earlier, which makes the sort stable). That
 * count is the element's place in the result; a second kernel per operand moves every element
 * there. The counting is quadratic in the line length (n² comparisons per line), which is fine for
 * the short lines of shuffles and small sorts but slow for long ones.
 * @module
 */
import type { ShapedArray } from "../../core/aval.ts";
import { AdjointError } from "../../core/errors.ts";
import { sizeOf } from "../../core/shape.ts";
import type { SortParams } from "../../core/primitives/sort.ts";
import { allocFor, type GpuRule, type GpuRuleTable } from "./rule.ts";
import type { Kernel } from "./runtime.ts";
import { buffer, ELEMENT_BYTES, type GpuDType, grid, KernelParams, SCALAR } from "./wgsl.ts";
import { withHelpers } from "./wgsl_math.ts";

/**
 * Keys one rank kernel can bind: with the destination buffer and the parameters, eight storage
 * buffers, WebGPU's guaranteed minimum per shader stage.
 */
const MAX_KEYS = 6;

/** `-1`, `0` or `1` as `a` orders before, with or after `b` (floats: NaN after every number). */
function compareFn(name: string, dtype: GpuDType): string {
  const t = SCALAR[dtype];
  const ordered = "return select(select(0i, 1i, a > b), -1i, a < b);";
  const nan = dtype === "float32"
    ? "let na = is_nan(a);\n  let nb = is_nan(b);\n  if (na || nb) { return i32(na) - i32(nb); }\n  "
    : "";
  return `fn ${name}(a: ${t}, b: ${t}) -> i32 {\n  ${nan}${ordered}\n}`;
}

/** Lines of `outer` groups of `n` positions `inner` apart. */
interface Lines {
  outer: number;
  n: number;
  inner: number;
}

/** A kernel writing, for every element, the flat index its line's sorted order puts it at. */
function rankKernel(keys: GpuDType[], l: Lines): Kernel {
  const p = new KernelParams();
  const g = grid(l.outer * l.n * l.inner, p);
  const [n, inner] = [p.uint(l.n), p.uint(l.inner)];
  const decls = keys.map((t, k) => buffer(k, `key${k}`, t));
  const compares = keys.map((t, k) => compareFn(`cmp${k}`, t));
  const order = keys.map((_, k) => `if (c == 0i) { c = cmp${k}(key${k}[at], key${k}[i]); }`);
  const source = withHelpers(`${decls.join("\n")}
${buffer(keys.length, "dst", "int32", true)}
${p.declare(keys.length + 1)}
${compares.join("\n")}
${g.prologue}
  let r = i % ${inner};
  let j = (i / ${inner}) % ${n};
  let base = (i / (${inner} * ${n})) * ${n} * ${inner} + r;
  var rank = 0u;
  for (var q = 0u; q < ${n}; q++) {
    let at = base + q * ${inner};
    var c = 0i;
    ${order.join("\n    ")}
    if (c < 0i || (c == 0i && q < j)) { rank++; }
  }
  dst[i] = i32(base + rank * ${inner});
}`);
  return { source, groups: g.groups, params: p.values };
}

/** A kernel moving each of `size` elements to the flat index `dst` holds for it. */
function scatterKernel(dtype: GpuDType, size: number): Kernel {
  const p = new KernelParams();
  const g = grid(size, p);
  const source = `${buffer(0, "src", dtype)}
${buffer(1, "dst", "int32")}
${buffer(2, "out", dtype, true)}
${p.declare(3)}
${g.prologue}
  out[u32(dst[i])] = src[i];
}`;
  return { source, groups: g.groups, params: p.values };
}

const sortRule: GpuRule<SortParams> = (rt, inputs, inAvals, params, outAvals) => {
  const d = params.dimension, numKeys = params.numKeys;
  if (numKeys > MAX_KEYS) {
    throw new AdjointError(
      "sort",
      `the webgpu kernel sorts by at most ${MAX_KEYS} keys, got ${numKeys}; ` +
        "sort on the ref backend, or combine keys",
    );
  }
  const shape = inAvals[0].shape;
  const lines = {
    outer: sizeOf(shape.slice(0, d)),
    n: shape[d],
    inner: sizeOf(shape.slice(d + 1)),
  };
  const size = sizeOf(shape);
  const results = outAvals.map((a: ShapedArray) => allocFor(rt, a));
  const dst = rt.alloc(size * ELEMENT_BYTES);
  const keyTypes = inAvals.slice(0, numKeys).map((a) => a.dtype as GpuDType);
  rt.run(rankKernel(keyTypes, lines), [...inputs.slice(0, numKeys), dst]);
  inputs.forEach((x, v) =>
    rt.run(scatterKernel(inAvals[v].dtype as GpuDType, size), [x, dst, results[v]])
  );
  rt.release(dst);
  return results;
};

/** The WebGPU rule of `sort`. */
export const sortRules: Pick<GpuRuleTable, "sort"> = { sort: sortRule };
