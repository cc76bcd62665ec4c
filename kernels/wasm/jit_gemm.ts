/**
 * Running a jitted program's "gemm" kernels (a dot_general with its bias add and relu, possibly
 * through layout changes, see lowering/epilogues.ts) as one gemm call whose epilogue finishes
 * each tile, then the layout changes on the finished product.
 * @module
 */
import { ConcreteArray } from "../../core/array.ts";
import type { Backend } from "../../core/backend.ts";
import type { ShapedArray } from "../../core/aval.ts";
import type { Atom, JaxprEqn } from "../../core/jaxpr.ts";
import type { DotDims } from "../../core/primitives/dot_general.ts";
import { stridesOf } from "../../core/shape.ts";
import { STRIDED_VIEWS } from "../../core/strided_views.ts";
import { isUnitReshape } from "../lowering/epilogues.ts";
import type { Kernel } from "../lowering/fusion.ts";
import { dotGeneralWithEpilogue } from "./contraction.ts";
import type { WasmBuffer } from "./memory.ts";
import type { WasmRuntime } from "./runtime.ts";

const named = (k: Kernel, name: string): JaxprEqn | undefined =>
  k.eqns.find((e) => e.prim.name === name && e !== k.eqns[0]);

/** The layout changes of a gemm kernel: the transposes and unit reshapes after its product. */
function layoutOf(k: Kernel): JaxprEqn[] {
  const chain: JaxprEqn[] = [];
  for (let v = k.eqns[0].outBinders[0];;) {
    const next = k.eqns.find((e) =>
      e.inputs[0] === v && (e.prim.name === "transpose" || isUnitReshape(e))
    );
    if (!next) return chain;
    chain.push(next);
    v = next.outBinders[0];
  }
}

/** Element strides over a layout change's input axes, given those over its output axes. */
function stridesBefore(e: JaxprEqn, strides: readonly number[]): number[] {
  if (e.prim.name === "transpose") {
    const perm = e.params.permutation as number[];
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
  const layout = layoutOf(k);
  const add = named(k, "add")!;
  const max = named(k, "max");
  const sum = layout.length ? layout[layout.length - 1].outBinders[0] : dot.outBinders[0];
  const addend = add.inputs[add.inputs[0] === sum ? 1 : 0];
  const view = k.eqns.find((e) => e.prim.name === "broadcast_in_dim" && e.outBinders[0] === addend);
  const viewed = view ? view.inputs[0] : addend;
  // A reshape of the bias in the kernel is read as the reshaped shape over its input's buffer.
  const reshape = k.eqns.find((e) => e.prim.name === "reshape" && e.outBinders[0] === viewed);
  const source = read(reshape ? reshape.inputs[0] : viewed);
  const strides = layout.reduceRight(
    (s, e) => stridesBefore(e, s),
    view
      ? STRIDED_VIEWS.broadcast_in_dim(viewed.aval, view.params, sum.aval).strides
      : stridesOf(sum.aval.shape),
  );
  const [x, y] = dot.inputs.map(read);
  const product = dot.outBinders[0];
  let buffer = dotGeneralWithEpilogue(
    rt,
    [x.buffer as WasmBuffer, y.buffer as WasmBuffer],
    [x.aval, y.aval],
    dot.params.dims as DotDims,
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
