/**
 * Elementwise kernels: one invocation per element. An elementwise primitive (the int32 word
 * operations, bitcast and threefry2x32 too) runs as its one-op program of the kernel IR
 * (one_op_kernel.ts), rendered by render_wgsl.ts as fused kernels are.
 * @module
 */
import type { DType } from "../../core/dtype.ts";
import { WORD_BINARY } from "../../core/primitives/bits.ts";
import { BINARY_ELEMENTWISE, UNARY_ELEMENTWISE } from "../../core/primitives/elementwise.ts";
import type { LoopKernel } from "../lowering/kernel_ir.ts";
import type { KernelLoweredName, LoweredName } from "../lowering/lower_elementwise.ts";
import { oneOpKernel } from "../lowering/one_op_kernel.ts";
import { rulesFor } from "../rule_table.ts";
import { renderExprs } from "./render_wgsl.ts";
import { allocFor, type GpuRule } from "./rule.ts";
import type { Kernel } from "./runtime.ts";
import { buffer, type GpuDType, grid, KernelParams } from "./wgsl.ts";
import { withHelpers } from "./wgsl_math.ts";

/** A kernel over `n` elements: `body` computes each `out<j>[i]` from the `in<k>[i]`. */
function elementKernel(
  inTypes: readonly DType[],
  outTypes: readonly DType[],
  body: readonly string[],
  n: number,
): Kernel {
  const p = new KernelParams();
  const g = grid(n, p);
  const decls = [
    ...inTypes.map((t, k) => buffer(k, `in${k}`, t as GpuDType)),
    ...outTypes.map((t, j) => buffer(inTypes.length + j, `out${j}`, t as GpuDType, true)),
  ];
  const source = withHelpers(`${decls.join("\n")}
${p.declare(inTypes.length + outTypes.length)}
${g.prologue}
  ${body.join("\n  ")}
}`);
  return { source, groups: g.groups, params: p.values };
}

/** The statements of loop kernel `k` whose loads and stores are all contiguous, over `i`. */
function programBody(k: LoopKernel): string[] {
  const code = renderExprs(k.stores.map((s) => s.value), (e) => `in${k.loads[e.load].input}[i]`);
  return [...code.lines, ...k.stores.map((s, j) => `out${s.output}[i] = ${code.values[j]};`)];
}

/**
 * The kernel of loop kernel `k` over a 1-d space whose loads and stores are all contiguous (a
 * one-op program); its element count is a run-time parameter, so one pipeline serves every size.
 */
export function programKernel(k: LoopKernel): Kernel {
  return elementKernel(k.inputs, k.outputs, programBody(k), k.space[0]);
}

/** The body of each primitive's one-op program, by primitive and dtypes (sizes do not shape it). */
const bodies = new Map<string, string[]>();

/** The rule running elementwise primitive `name` as its one-op program. */
const loweredRule = (name: LoweredName): GpuRule => (rt, inputs, inAvals, _params, outs) => {
  const types = inAvals.map((a) => a.dtype);
  const outTypes = outs.map((a) => a.dtype);
  const key = `${name}(${types}) -> (${outTypes})`;
  let body = bodies.get(key);
  if (!body) {
    body = programBody(oneOpKernel(name, types, outTypes, outs[0].size));
    bodies.set(key, body);
  }
  const results = outs.map((out) => allocFor(rt, out));
  rt.run(elementKernel(types, outTypes, body, outs[0].size), [...inputs, ...results]);
  return results;
};

/** WebGPU rules of the elementwise primitives. */
export const elementwiseRules: Record<KernelLoweredName, GpuRule> = rulesFor(
  [
    ...UNARY_ELEMENTWISE,
    ...BINARY_ELEMENTWISE,
    ...WORD_BINARY,
    "select_n",
    "convert_element_type",
    "bitcast_convert_type",
    "threefry2x32",
  ],
  loweredRule,
);
