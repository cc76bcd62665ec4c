/**
 * AssemblyScript code generation for fused kernels, from their loop kernels (lower_kernel.ts):
 * one exported function per kernel, a loop nest over the kernel's iteration space that loads its
 * inputs through their strides, evaluates the expression DAG in registers (render_assemblyscript.ts)
 * and stores its outputs (a reduction store accumulates into its output). When the vectoriser's
 * rules (vectorize.ts) give the kernel a vector plan, its innermost loop runs four elements at a
 * time and the scalar body the remainder. Arguments are byte addresses in the shared linear
 * memory, then a range `[lo, hi)` of the outermost axis to run, so that threads can split a
 * kernel (see `splittable`). The bodies take where they find their arrays (`Places`), so that a
 * scan's loop kernel (loop_codegen.ts) renders its body with them. The parts live in their own
 * files: view_addresses.ts (places, registers, the scalar body), vector_loops.ts, loop_nest.ts,
 * row_bases.ts (eager kernels' row addresses), strided_nest.ts (eager copies) and
 * accumulators.ts (float64 accumulators of float32 reductions).
 * @module
 */
import {
  type Expr,
  type IndexedAxis,
  type LoopKernel,
  reduceIdentity,
  type Store,
  topologicalOrder,
} from "../lowering/kernel_ir.ts";
import {
  axisSize,
  indexedSize,
  inPlaceInput,
  isSized,
  isStrided,
  sizeParams,
  sizeProduct,
  type StridedLoopKernel,
  strideParams,
} from "../lowering/sized_kernel.ts";
import { planVector } from "../lowering/vectorize.ts";
import {
  ASSEMBLYSCRIPT_VECTOR,
  constantGlobals,
  paramName,
  paramSplat,
  REG,
  scalarConst,
  scalarStore,
  SHIFT,
  vectorReduce,
} from "./render_assemblyscript.ts";
import {
  ARGUMENTS,
  type Places,
  rangeCheck,
  registers,
  scalarBody,
  steppable,
} from "./view_addresses.ts";
import { accumulatorInit, accumulatorResults, accumulatorsOf } from "./accumulators.ts";
import { indexedRows, rowAddresses } from "./row_bases.ts";
import {
  type EmitOptions,
  type VectorLoop,
  vectorLoop,
  vectorNest,
  wideLoop,
} from "./vector_loops.ts";
import { loopNest } from "./loop_nest.ts";
import { stridedNest } from "./strided_nest.ts";
import { gatheredRow } from "./bulk_rows.ts";

/**
 * Whether threads may run disjoint ranges of `k`'s outermost axis at once: it has an axis, and no
 * reduction accumulates along axis 0 (the ranges would then accumulate into the same outputs),
 * nor does a scatter index it or read positions that move along it.
 */
export function splittable(k: LoopKernel): boolean {
  const alongFirst = (ix?: IndexedAxis) =>
    !!ix && (ix.axis === 0 || k.loads[ix.index].strides[0] !== 0);
  return k.space.length > 0 &&
    k.stores.every((s) => (!s.reduce || s.strides[0] !== 0) && !alongFirst(s.scatter));
}

/**
 * Relative cost of one element of `k`'s space: 1 per node, load and store, 16 per remainder
 * (fmod is a loop).
 */
export function elementCost(k: LoopKernel): number {
  const nodes = topologicalOrder(k.stores.map((s) => s.value));
  const costly = (e: Expr) => e.kind === "binary" && e.op === "rem";
  return nodes.reduce((sum, e) => sum + (costly(e) ? 16 : 1), k.stores.length);
}

/**
 * Fills the outputs of reduction stores with their identity before the loops (a sized kernel's
 * a v128 at a time, or with `memory.fill` for bools, one byte each, and a scatter's zeros).
 * Keeping axis 0, a range of it owns a contiguous run of outputs: only those. A scatter fills
 * every position of its indexed axis.
 */
function reductionInit(k: LoopKernel): string[] {
  const space = k.space;
  return k.stores.filter((s) => s.reduce && !s.accumulator).map((s) => {
    const d = k.outputs[s.output];
    const own = space.length > 0 && space[0] > 0 && s.strides[0] !== 0 && s.scatter?.axis !== 0;
    const kept = space.flatMap((_, i) => (s.strides[i] === 0 || (own && i === 0) ? [] : [i]));
    const extent = (i: number) =>
      i === s.scatter?.axis ? indexedSize(k, s.scatter) : axisSize(k, i);
    const row = sizeProduct(kept.map(extent));
    const [from, to] = own ? [`lo * ${row}`, `hi * ${row}`] : ["0", `${row}`];
    const identity = reduceIdentity(s.reduce!, d);
    const init = scalarConst(d, identity);
    const each = scalarStore(d, `out${s.output} + (j << ${SHIFT[d]})`, init);
    if (!isSized(k)) return `for (let j = ${from}; j < ${to}; j++) ${each}`;
    // A scatter's whole rows of zero bytes (sums' identity), and bools, one byte each, are filled
    // by memory.fill.
    const zeroBytes = !!s.scatter && Object.is(identity, 0);
    if (d === "bool" || zeroBytes) {
      const bytes = (n: string) => (d === "bool" ? n : `((${n}) << ${SHIFT[d]})`);
      const span = d === "bool" ? `${to} - ${from}` : `(${to} - ${from}) << ${SHIFT[d]}`;
      return `memory.fill(out${s.output} + ${bytes(from)}, ${zeroBytes ? 0 : identity}, ${span});`;
    }
    const per = 16 >> SHIFT[d], splat = `${vectorReduce(s.reduce!, d).lanes}.splat(${init})`;
    return [
      `let j${s.output} = ${from};`,
      `for (; j${s.output} + ${per} <= ${to}; j${s.output} += ${per}) ` +
      `v128.store(out${s.output} + (j${s.output} << ${SHIFT[d]}), ${splat});`,
      `for (let j = j${s.output}; j < ${to}; j++) ${each}`,
    ].join("\n  ");
  });
}

/**
 * Emits one fused kernel's loop kernel as an exported AssemblyScript function named `name`,
 * taking its input and output addresses, the range `[lo, hi)` of the outermost axis it runs
 * (`[0, 1)` for a kernel without axes), then the run-time sizes of a sized kernel
 * (sized_kernel.ts), as i32 in axis order (then that of its indexed axes' positions), then the
 * run-time strides of a strided one, then the kernel's parameters (`params`, kernel_ir.ts), each
 * as its dtype's register type. An output in place of an input (`StridedLoopKernel.inPlace`)
 * takes no address of its own. A kernel with indexed views checks their positions first
 * (`rangeCheck`) and returns whether one was out of range, as its flag says.
 */
export function emitFusedKernel(k: LoopKernel, name: string, options: EmitOptions = {}): string {
  const regs = registers(k);
  const sizes = sizeParams(k);
  const params = [
    ...k.inputs.map((_, i) => `in${i}: usize`),
    ...k.outputs.flatMap((_, i) => (inPlaceInput(k, i) === null ? [`out${i}: usize`] : [])),
    "lo: i32",
    "hi: i32",
    ...sizes.map((n) => `${n}: i32`),
    ...strideParams(k).map((n) => `${n}: i32`),
    ...k.stores.filter((s) => s.accumulator).map((s) => `${accumulatorsOf(s)}: usize`),
    ...(k.params ?? []).map((d, i) => `${paramName(i)}: ${REG[d]}`),
  ];
  const plan = planVector(k, options.target ?? ASSEMBLYSCRIPT_VECTOR);
  const strided = isStrided(k) && steppable(k) && plan?.mode !== "pairs";
  const indexed = indexedRows(k);
  const reductionRows = indexed ? null : rowAddresses(k, plan);
  const rows = indexed ?? reductionRows;
  const [body, places] = rows ? [rows.kernel, rows.places] : [k, ARGUMENTS];
  const vector = plan && !strided ? vectorNest(body, regs, plan, options, places) : null;
  if (vector && indexed) vector.bulk = gatheredRow(body, plan!, places);
  const peel = reductionRows && firstStepStores(reductionRows.kernel, places, options);
  // A kernel storing the first step of axis 1 fills its outputs only where that axis is empty.
  const init = reductionInit(k).flatMap((l) => l.split("\n").map((line) => line.trim()));
  const fill = peel && init.length
    ? [`if (${axisSize(k, 1)} < 1) {`, ...init.map((l) => `  ${l}`), "}"]
    : init;
  const checked = k.outOfRange !== undefined;
  return [
    `export function ${name}(${params.join(", ")}): ${checked ? "i32" : "void"} {`,
    ...rangeCheck(k).map((l) => `  ${l}`),
    ...(plan ? k.params ?? [] : []).map((d, i) => `  ${paramSplat(d, i)}`),
    ...fill.map((l) => `  ${l}`),
    ...(strided
      ? stridedNest(k as StridedLoopKernel, regs, plan, options)
      : loopNest(k.space.map((_, d) => axisSize(k, d)), scalarBody(body, regs, places), vector, {
        enter: peel ? [] : accumulatorInit(k),
        leave: accumulatorResults(k),
        row: reductionRows?.lines,
        levels: indexed?.lines,
        peel: peel ? { ...peel, row: reductionRows!.lines } : undefined,
      })),
    ...(checked ? ["  return 0;"] : []),
    `}`,
  ].join("\n");
}

/**
 * For a kernel of three axes whose stores are all reductions along axis 1 keeping axes 0 and 2
 * (an eager reduction along columns, its views at row addresses: `rowAddresses`): the scalar
 * body and vector loop of step 0 of axis 1, which store their values (into the outputs, or their
 * accumulators) instead of combining them, so that no identity fills the outputs first and the
 * first row is one plain pass (pooling windows of 3 rows ran 1.4x slower with the fill). A sum
 * stores its first value plus the identity, as it would have combined it (-0 + 0 is +0). Null
 * for other kernels, or where that step has no lanes loop.
 */
function firstStepStores(
  k: LoopKernel,
  places: Places,
  options: EmitOptions,
): { body: string[]; vector: VectorLoop } | null {
  const along1 = (s: Store) => !!s.reduce && s.strides[1] === 0 && s.strides[2] !== 0;
  if (k.space.length !== 3 || !k.stores.every(along1)) return null;
  const first: LoopKernel = {
    ...k,
    stores: k.stores.map(({ reduce, ...s }) => {
      if (reduce !== "add") return s;
      const zero: Expr = { kind: "const", dtype: s.value.dtype, value: 0 };
      return {
        ...s,
        value: { kind: "binary", op: "add", dtype: s.value.dtype, a: zero, b: s.value },
      };
    }),
  };
  const plan = planVector(first, options.target ?? ASSEMBLYSCRIPT_VECTOR);
  if (plan?.mode !== "lanes") return null;
  // Its own registers (its block's): a sum's first step has a node more.
  const regs = registers(first);
  const vector = vectorLoop(first, regs, plan, places);
  vector.wide = wideLoop(first, regs, plan, places);
  return { body: scalarBody(first, regs, places), vector };
}

/**
 * What every module exports beside its kernels: where its static data ends. The kernels' math is
 * IR (math_definitions.ts), so they call none of AssemblyScript's tabled math, and a module has
 * no static data: modules compiled at one `memoryBase` never overwrite each other's.
 */
const HEAP_BASE = `
export function heap_base(): usize {
  return __heap_base;
}
`;

/**
 * One AssemblyScript module exporting each loop kernel under its name; its start function fills
 * the kernels' vector constants in every instance.
 */
export function emitFusedModule(kernels: ReadonlyMap<string, LoopKernel>): string {
  return emitModule([...kernels].map(([name, k]) => emitFusedKernel(k, name)));
}

/** One AssemblyScript module of the kernel functions `fns` and their vector constants. */
export function emitModule(fns: readonly string[]): string {
  return [...constantGlobals(fns.join("\n")), HEAP_BASE.trim(), ...fns]
    .join("\n\n") + "\n";
}
