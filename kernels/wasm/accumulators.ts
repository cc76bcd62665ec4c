/**
 * Wider accumulators of reduction stores (`Store.accumulator`: float32 sums and products of
 * eager kernels in float64): their argument, their identity at each step of axis 0, and their
 * results converted into the outputs after it.
 * @module
 */
import { type LoopKernel, reduceIdentity, type Store } from "../lowering/kernel_ir.ts";
import { axisSize, sizeProduct } from "../lowering/sized_kernel.ts";
import {
  renderScalar,
  scalarConst,
  scalarLoad,
  scalarStore,
  SHIFT,
} from "./render_assemblyscript.ts";

/** The name of the parameter addressing the accumulators of store `s` (`Store.accumulator`). */
export const accumulatorsOf = (s: Store) => `acc_out${s.output}`;

/**
 * The elements of the output of a store with an accumulator that one step of axis 0 owns: the
 * sizes of the other axes it keeps.
 */
const accumulated = (k: LoopKernel, s: Store) =>
  sizeProduct(k.space.flatMap((_, d) => (d > 0 && s.strides[d] !== 0 ? [axisSize(k, d)] : [])));

/** At each step of axis 0: the accumulators of each store with one set to its identity. */
export function accumulatorInit(k: LoopKernel): string[] {
  return k.stores.filter((s) => s.accumulator).map((s) => {
    const a = s.accumulator!, init = scalarConst(a, reduceIdentity(s.reduce!, a));
    const at = `${accumulatorsOf(s)} + (j << ${SHIFT[a]})`;
    return `for (let j = 0; j < ${accumulated(k, s)}; j++) ${scalarStore(a, at, init)}`;
  });
}

/**
 * After each step of axis 0: each store's accumulators converted to its output's dtype into the
 * elements of the output that step owns.
 */
export function accumulatorResults(k: LoopKernel): string[] {
  return k.stores.filter((s) => s.accumulator).map((s) => {
    const a = s.accumulator!, d = k.outputs[s.output], n = accumulated(k, s);
    const acc = scalarLoad(a, `${accumulatorsOf(s)} + (j << ${SHIFT[a]})`);
    const value = renderScalar({
      kind: "convert",
      dtype: d,
      a: { kind: "const", dtype: a, value: 0 },
    }, [acc]);
    const at = `out${s.output} + ((i0 * ${n} + j) << ${SHIFT[d]})`;
    return `for (let j = 0; j < ${n}; j++) ${scalarStore(d, at, value)}`;
  });
}
