/**
 * Row addresses of eager kernels: the address of each view at the start of a row of the innermost
 * axis, computed once per row (or stepped loop by loop) so that the innermost loop adds only
 * its own index: for kernels with indexed views (`indexedRows`) and for sized reductions
 * (`rowAddresses`).
 * @module
 */
import { indexedAxes, type IndexedAxis, type LoopKernel } from "../lowering/kernel_ir.ts";
import { isSized, isStrided, viewStrideTerms } from "../lowering/sized_kernel.ts";
import type { VectorPlan } from "../lowering/vectorize.ts";
import { SHIFT } from "./render_assemblyscript.ts";
import { offsetExpr, type Places, steppable } from "./view_addresses.ts";

/** The arrays of a kernel rendered by rows (`indexedRows`): each view's row base. */
const ROWS: Places = {
  input: (i) => ({ base: `r_in${i}` }),
  output: (i) => ({ base: `r_out${i}`, registers: [] }),
};

/**
 * How a kernel with indexed views, each load of its own input and each store into its own output,
 * unpadded, over at least two axes, is rendered by rows: `lines` name each view's address at the
 * start of a row of the innermost axis (`ROWS`: its offset along the outer axes but its indexed
 * one), per loop level (`LoopSurroundings.levels`: in the innermost loop it moves along), and
 * `kernel` is `k` with those strides zeroed, whose views add the rest.
 * Null for other kernels (their addresses are computed whole at each point).
 */
export function indexedRows(
  k: LoopKernel,
): { kernel: LoopKernel; places: Places; lines: string[][] } | null {
  const last = k.space.length - 1;
  if (!indexedAxes(k).length || !steppable(k) || last < 1 || k.loads.some((l) => l.padding)) {
    return null;
  }
  const inRow = (d: number, ix?: IndexedAxis) => d === last || d === ix?.axis;
  const zeroed = (strides: readonly number[], ix?: IndexedAxis) =>
    strides.map((st, d) => (inRow(d, ix) ? st : 0));
  const lines: string[][] = Array.from({ length: last }, () => []);
  const rowBase = (
    name: string,
    terms: (number | string)[],
    shift: number,
    offset = 0,
    ix?: IndexedAxis,
  ) => {
    const outer = terms.map((t, d) => (inRow(d, ix) ? 0 : t));
    const axes = outer.flatMap((t, d) => (t === 0 ? [] : [d]));
    // Stepped level by level: each loop adds its own axis to the base of the loop around it (a
    // view moving along none takes its base in the outermost loop).
    let at = offset ? `${name} + ${offsetExpr([], shift, offset)}` : name;
    if (!axes.length) lines[0].push(`const r_${name} = ${at};`);
    axes.forEach((d, j) => {
      const here = j === axes.length - 1 ? `r_${name}` : `r_${name}_${d}`;
      const step = offsetExpr(outer.map((t, e) => (e === d ? t : 0)), shift);
      lines[d].push(`const ${here} = ${at} + ${step};`);
      at = here;
    });
  };
  k.loads.forEach((l, i) =>
    rowBase(
      `in${l.input}`,
      viewStrideTerms(k, "load", i),
      SHIFT[k.inputs[l.input]],
      l.offset,
      l.gather,
    )
  );
  k.stores.forEach((s, i) =>
    rowBase(
      `out${s.output}`,
      viewStrideTerms(k, "store", i),
      SHIFT[k.outputs[s.output]],
      s.offset,
      s.scatter,
    )
  );
  const kernel: LoopKernel = {
    ...k,
    loads: k.loads.map((l) => ({ ...l, offset: 0, strides: zeroed(l.strides, l.gather) })),
    stores: k.stores.map((s) => ({ ...s, offset: 0, strides: zeroed(s.strides, s.scatter) })),
  };
  return { kernel, places: ROWS, lines };
}

/**
 * For a sized kernel with reductions whose plan runs lanes (an eager reduction's): the kernel
 * with its views' strides along the outer axes zeroed, where its body finds its arrays
 * (`row_in<i>`, `row_out<i>`), and the lines computing those addresses once at each point of the
 * outer axes, so that the innermost loop adds only its own index to them (V8 multiplies out
 * every outer index at every step otherwise: float32 sums along rows ran 8% slower). Null for
 * other kernels (jit's are never sized), and where a view shares its array with another.
 */
export function rowAddresses(
  k: LoopKernel,
  plan: VectorPlan | null,
): { kernel: LoopKernel; places: Places; lines: string[] } | null {
  if (!isSized(k) || isStrided(k) || plan?.mode !== "lanes") return null;
  if (!k.stores.some((s) => s.reduce) || !steppable(k)) return null;
  const last = k.space.length - 1;
  const base = (at: string, from: string, terms: (number | string)[], shift: number) =>
    `const ${at} = ${from} + ${offsetExpr(terms.map((t, d) => (d === last ? 0 : t)), shift)};`;
  const lines = [
    ...k.loads.map((l, i) =>
      base(
        `row_in${l.input}`,
        `in${l.input}`,
        viewStrideTerms(k, "load", i),
        SHIFT[k.inputs[l.input]],
      )
    ),
    ...k.stores.flatMap((s, i) =>
      s.accumulator ? [] : [
        base(
          `row_out${s.output}`,
          `out${s.output}`,
          viewStrideTerms(k, "store", i),
          SHIFT[k.outputs[s.output]],
        ),
      ]
    ),
  ];
  const innermost = (strides: readonly number[]) => strides.map((n, d) => (d === last ? n : 0));
  const kernel: LoopKernel = {
    ...k,
    loads: k.loads.map((l) => ({ ...l, strides: innermost(l.strides) })),
    stores: k.stores.map((s) => ({ ...s, strides: innermost(s.strides) })),
  };
  const places: Places = {
    input: (i) => ({ base: `row_in${i}` }),
    output: (i) => ({ base: `row_out${i}`, registers: [] }),
  };
  return { kernel, places, lines };
}
