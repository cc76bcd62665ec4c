/**
 * Running a jitted program's "gemm" kernels (a dot_general with its bias add and relu, possibly
 * through layout changes, see lowering/epilogues.ts) as one gemm call whose epilogue finishes
 * each tile, then the layout changes on the finished product.
 * @module
 */
import { ConcreteArray } from "../../core/array.ts";
import type { Backend } from "../../core/backend.ts";
import type { ShapedArray } from "../../core/aval.ts";
import { type Atom, type JaxprEqn, paramsOf } from "../../core/jaxpr.ts";
import { dotGeneralP } from "../../core/primitives/dot_general.ts";
import { broadcastInDimP, transposeP } from "../../core/primitives/structural.ts";
import { stridesOf } from "../../core/shape.ts";
import { STRIDED_VIEWS } from "../../core/strided_views.ts";
import type { Kernel } from "../lowering/fusion.ts";
import { dotGeneralWithEpilogue } from "./contraction.ts";
import type { WasmBuffer } from "./memory.ts";
import type { WasmRuntime } from "./runtime.ts";

/** Element strides over a layout change's input axes, given those over its output axes. */
function stridesBefore(e: JaxprEqn, strides: readonly number[]): number[] {
  if (e.prim.name === "transpose") {
    const perm = paramsOf(e, transposeP).permutation;
    const before = perm.map(() => 0);
    perm.forEach((p, i) => (before[p] = strides[i]));
    return before;
  }
  const kept = e.outBinders[0].aval.shape.flatMap((d, i) => (d === 1 ? [] : [strides[i]]));
  let next = 0;
  return e.inputs[0].aval.shape.map((d) => (d === 1 ? 0 : kept[next++]));
}

/**
 * Computes gemm kernel `k`, reading its inputs with `read`: its output array, or null when the
 * addend's layout does not fit the gemm's epilogue (the caller then runs the equations one by
 * one).
 */
export function runGemmKernel(
  rt: WasmRuntime,
  backend: Backend,
  k: Kernel,
  read: (a: Atom) => ConcreteArray,
): ConcreteArray | null {
  const dot = k.eqns[0];
  const { layout, sources, views, eqns: [add, max] } = k.epilogue!;
  const sum = layout.length ? layout[layout.length - 1].outBinders[0] : dot.outBinders[0];
  const addend = add.inputs[add.inputs[0] === sum ? 1 : 0];
  const view = views.find((e) => e.outBinders[0] === addend);
  const viewed = view ? view.inputs[0] : addend;
  // A reshape of the bias in the kernel is read as the reshaped shape over its input's buffer.
  const source = read(sources.length ? sources[0].inputs[0] : viewed);
  const strides = layout.reduceRight(
    (s, e) => stridesBefore(e, s),
    view
      ? STRIDED_VIEWS.broadcast_in_dim(viewed.aval, paramsOf(view, broadcastInDimP), sum.aval)
        .strides
      : stridesOf(sum.aval.shape),
  );
  const [x, y] = dot.inputs.map(read);
  const product = dot.outBinders[0];
  let buffer = dotGeneralWithEpilogue(
    rt,
    [x.buffer as WasmBuffer, y.buffer as WasmBuffer],
    [x.aval, y.aval],
    paramsOf(dot, dotGeneralP).dims,
    product.aval,
    { addend: { buffer: source.buffer as WasmBuffer, strides }, relu: max !== undefined },
  );
  if (!buffer) return null;
  let aval: ShapedArray = product.aval;
  for (const e of layout) {
    const out = e.outBinders[0].aval;
    if (e.prim.name === "transpose") {
      const [moved] = backend.execute("transpose", [buffer], [aval], e.params, [out]);
      rt.dispose(buffer);
      buffer = moved as WasmBuffer;
    }
    aval = out;
  }
  return new ConcreteArray((max ?? add).outBinders[0].aval, buffer, backend);
}
