/**
 * The loops of strided kernels (sized_kernel.ts: eager copies, with run-time strides): each view's
 * address stepped loop by loop, and the late rewrites of their rows (whole-row `memory.copy`,
 * short rows in two overlapping steps).
 * @module
 */
import { type Expr, type LoopKernel, topologicalOrder } from "../lowering/kernel_ir.ts";
import {
  axisSize,
  inPlaceInput,
  isStrided,
  type StridedLoopKernel,
  viewStrideTerms,
} from "../lowering/sized_kernel.ts";
import type { VectorPlan } from "../lowering/vectorize.ts";
import { SHIFT } from "./render_assemblyscript.ts";
import { type Places, type Registers, scalarBody } from "./view_addresses.ts";
import { type EmitOptions, vectorBody, vectorNest } from "./vector_loops.ts";
import { loopNest } from "./loop_nest.ts";
import { bulkRow } from "./bulk_rows.ts";

/**
 * A late rewrite of a strided kernel whose rows are short by construction (its representative
 * innermost size at most two v128 steps: one_op_copy.ts `short`, rows of 17-32 bytes, 5 to 8
 * elements of 4 bytes, 3 or 4 of float64), where vector loops would run one or two steps and a
 * scalar remainder: each row is two steps of one v128 each (fours; float64's first v128, two
 * elements: `halfLanes`), one at the row's start and one ending at its end (`places` holding the
 * row's addresses: `stridedNest`), every load of both before either's stores, the end's first,
 * so that the elements both cover get the same values from each (every node is lanewise, and no
 * store accumulates). For lanes loops without reduction stores or `index` nodes only: the lines
 * of a row, and those before the loops (the end's offsets); undefined where it does not apply.
 */
function shortRow(
  k: LoopKernel,
  regs: Registers,
  plan: VectorPlan,
  places: Places,
): { prologue: string[]; row: string[] } | undefined {
  const last = k.space.length - 1, n = axisSize(k, last);
  if (!isStrided(k) || plan.mode !== "lanes" || last < 1 || k.stores.some((s) => s.reduce)) return;
  // The end's four is not at the loop index: no coordinates.
  if (topologicalOrder(k.stores.map((s) => s.value)).some((e) => e.kind === "index")) return;
  // Float64's fours are two v128s: two elements at a time, of rows of 3 or 4.
  const first = halfLanes(k);
  if (!first && [...k.inputs, ...k.outputs].some((d) => SHIFT[d] > 2)) return;
  const per = first ? 2 : 4;
  // The kernel's rows are short by construction: its representative row (the most) two steps.
  if (typeof k.space[last] !== "number" || k.space[last] > 2 * per) return;
  // The end's four: each contiguous view's address moved n - per elements on (splats stay).
  const inner = new Map(k.loads.map((l) => [l.input, l.strides[last]]));
  const moved = (base: string, shift: number, stride: number) =>
    stride === 0 ? base : `${base} + tail${shift}`;
  const tail: Places = {
    input: (i) => {
      const at = places.input(i);
      return "base" in at ? { base: moved(at.base, SHIFT[k.inputs[i]], inner.get(i)!) } : at;
    },
    output: (i) => {
      const at = places.output(i);
      return { ...at, base: at.base && moved(at.base, SHIFT[k.outputs[i]], 1) };
    },
  };
  const isStore = (l: string) => /^v128\.store/.test(l);
  const [head, end] = [
    vectorBody(k, regs, plan, { places, first }),
    vectorBody(k, regs, plan, { places: tail, suffix: "_e", first }),
  ];
  if ([head, end].some((b) => b.before.length || b.after.length)) return;
  const shifts = new Set([...k.inputs, ...k.outputs].map((d) => SHIFT[d]));
  return {
    prologue: [...shifts].map((sh) => `const tail${sh} = <usize>((${n} - ${per}) << ${sh});`),
    row: [
      `const i${last} = 0;`,
      ...[...head.body, ...end.body].filter((l) => !isStore(l)),
      ...[...end.body, ...head.body].filter(isStore),
    ],
  };
}

/** The kinds of node whose vector forms on float64 work on each v128 alone. */
const PER_V128: ReadonlySet<Expr["kind"]> = new Set([
  "load",
  "const",
  "param",
  "unary",
  "binary",
  "fma",
]);

/**
 * Whether every array and node of `k` is float64 and every node's vector form works on each
 * v128 of its four lanes alone, so that the first v128 of each value is a two-element step
 * (`VectorBodyOptions.first`).
 */
function halfLanes(k: LoopKernel): boolean {
  const nodes = topologicalOrder(k.stores.map((s) => s.value));
  return [...k.inputs, ...k.outputs].every((d) => d === "float64") &&
    nodes.every((e) => e.dtype === "float64" && PER_V128.has(e.kind));
}

/**
 * The loops of a strided kernel (sized_kernel.ts: an eager copy's), whose views' strides are
 * run-time parameters: each loop but the innermost steps each view's address (`a<d>_<view>`,
 * from the address of the loop around it) by the view's stride along it, one add per view and
 * iteration (as the hand-written odometer did), so that a row's addresses take no products of
 * every index, at any rank; an output in place of an input (`StridedLoopKernel.inPlace`) is
 * that input's addresses. A row then runs `shortRow`'s two steps where the kernel's rows are
 * short, else the vector loop of `plan` (first bulk_rows.ts `bulkRow`'s whole-row copy, where it applies),
 * or, without one, the scalar body with each view's address stepped by its innermost stride.
 */
export function stridedNest(
  k: StridedLoopKernel,
  regs: Registers,
  plan: VectorPlan | null,
  options: EmitOptions,
): string[] {
  const last = k.space.length - 1;
  const views = [
    ...k.loads.map((l, i) => ({
      base: `in${l.input}`,
      terms: viewStrideTerms(k, "load", i),
      shift: SHIFT[k.inputs[l.input]],
    })),
    ...k.stores.flatMap((s, i) =>
      inPlaceInput(k, s.output) !== null ? [] : [{
        base: `out${s.output}`,
        terms: viewStrideTerms(k, "store", i),
        shift: SHIFT[k.outputs[s.output]],
      }]
    ),
  ];
  // An output in place of an input is that input's addresses.
  const buffer = (o: number) => {
    const i = inPlaceInput(k, o);
    return i === null ? `out${o}` : `in${i}`;
  };
  const at = (d: number, base: string) => (d < 0 ? base : `a${d}_${base}`);
  // Each address starts one step before its loop's first index and steps first thing in each
  // iteration (so a row's `continue` skips nothing); along a stride of 0 it is the outer one.
  const moves = (d: number) => views.filter((v) => v.terms[d] !== 0);
  const step = (d: number, base: string) => `st${d}_${base}`;
  const start = (d: number) =>
    moves(d).map(({ base, terms, shift }) =>
      d === 0
        ? `let ${at(0, base)} = ${base} + <usize>(((lo - 1) * ${terms[0]}) << ${shift});`
        : `let ${at(d, base)} = ${at(d - 1, base)} - ${step(d, base)};`
    );
  const levels = Array.from({ length: last }, (_, d) => [
    ...views.map(({ base, terms }) =>
      terms[d] === 0
        ? `const ${at(d, base)} = ${at(d - 1, base)};`
        : `${at(d, base)} += ${step(d, base)};`
    ),
    ...(d + 1 < last ? start(d + 1) : []),
  ]);
  const steps = Array.from(
    { length: last },
    (_, d) =>
      moves(d).map(({ base, terms, shift }) =>
        `  const ${step(d, base)} = <usize>((${terms[d]}) << ${shift});`
      ),
  ).flat();
  const prologue = [...steps, ...(last > 0 ? start(0).map((l) => `  ${l}`) : [])];
  const row = (base: string) => at(last - 1, base);
  // The kernel at a row's start: its views' outer strides 0 (the row's addresses hold them).
  const outer = <T>(v: readonly T[], zero: T) => v.map((t, d) => (d === last ? t : zero));
  const rowKernel: StridedLoopKernel = {
    ...k,
    loads: k.loads.map((l) => ({ ...l, strides: outer(l.strides, 0) })),
    stores: k.stores.map((s) => ({ ...s, strides: outer(s.strides, 0) })),
    loadStrides: k.loadStrides.map((v) => outer(v, null)),
    storeStrides: k.storeStrides.map((v) => outer(v, null)),
  };
  const sizes = k.space.map((_, d) => axisSize(k, d));
  if (plan) {
    const places: Places = {
      input: (i) => ({ base: row(`in${i}`) }),
      output: (o) => ({ base: row(buffer(o)), registers: [] }),
    };
    const short = shortRow(rowKernel, regs, plan, places);
    if (short) {
      const before = short.prologue.map((l) => `  ${l}`);
      return [
        ...prologue,
        ...before,
        ...loopNest(sizes.slice(0, last), short.row, null, { levels }),
      ];
    }
    const vector = vectorNest(rowKernel, regs, plan, options, places);
    vector.bulk = bulkRow(rowKernel, plan, places);
    return [
      ...prologue,
      ...loopNest(sizes, scalarBody(rowKernel, regs, places), vector, { levels }),
    ];
  }
  // Without a vector form: each view's address stepped along the row.
  const stepped: StridedLoopKernel = {
    ...rowKernel,
    loads: k.loads.map((l) => ({ ...l, strides: l.strides.map(() => 0) })),
    stores: k.stores.map((s) => ({ ...s, strides: s.strides.map(() => 0) })),
    loadStrides: k.loadStrides.map((v) => v.map(() => null)),
    storeStrides: k.storeStrides.map((v) => v.map(() => null)),
  };
  const places: Places = {
    input: (i) => ({ base: `p_in${i}` }),
    output: (o) => ({ base: `p_${buffer(o)}`, registers: [] }),
  };
  const body = [
    ...scalarBody(stepped, regs, places),
    ...views.map((v) => `p_${v.base} += p_${v.base}_step;`),
  ];
  const rows = loopNest(
    sizes.slice(0, last),
    [
      ...views.map((v) => `let p_${v.base} = ${row(v.base)};`),
      `for (let i${last} = 0; i${last} < ${sizes[last]}; i${last}++) {`,
      ...body.map((l) => `  ${l}`),
      `}`,
    ],
    null,
    { levels },
  );
  const rowSteps = views.map((v) =>
    `  const p_${v.base}_step = <usize>(${v.terms[last]} << ${v.shift});`
  );
  return [...prologue, ...rowSteps, ...rows];
}
