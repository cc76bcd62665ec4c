/**
 * Running a jitted program's "gemm" kernels (a dot_general with its bias add and relu, see
 * lowering/epilogues.ts) as one gemm call whose epilogue finishes each tile.
 * @module
 */
import { ConcreteArray } from "../../core/array.ts";
import type { Backend } from "../../core/backend.ts";
import type { Atom, JaxprEqn } from "../../core/jaxpr.ts";
import type { DotDims } from "../../core/primitives/dot_general.ts";
import { stridesOf } from "../../core/shape.ts";
import { STRIDED_VIEWS } from "../../core/strided_views.ts";
import type { Kernel } from "../lowering/fusion.ts";
import { dotGeneralWithEpilogue } from "./contraction.ts";
import type { WasmBuffer } from "./memory.ts";
import type { WasmRuntime } from "./runtime.ts";

const named = (k: Kernel, name: string): JaxprEqn | undefined =>
  k.eqns.find((e) => e.prim.name === name && e !== k.eqns[0]);

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
  const add = named(k, "add")!;
  const max = named(k, "max");
  const product = dot.outBinders[0];
  const addend = add.inputs[add.inputs[0] === product ? 1 : 0];
  const view = k.eqns.find((e) => e.prim.name === "broadcast_in_dim" && e.outBinders[0] === addend);
  const source = read(view ? view.inputs[0] : addend);
  const strides = view
    ? STRIDED_VIEWS.broadcast_in_dim(source.aval, view.params, product.aval).strides
    : stridesOf(product.aval.shape);
  const [x, y] = dot.inputs.map(read);
  const out = (max ?? add).outBinders[0];
  const buffer = dotGeneralWithEpilogue(
    rt,
    [x.buffer as WasmBuffer, y.buffer as WasmBuffer],
    [x.aval, y.aval],
    dot.params.dims as DotDims,
    out.aval,
    { addend: { buffer: source.buffer as WasmBuffer, strides }, relu: max !== undefined },
  );
  return buffer && new ConcreteArray(out.aval, buffer, backend);
}
