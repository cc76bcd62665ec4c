/**
 * AssemblyScript code generation for fused kernels, from their loop kernels (lower_kernel.ts):
 * one exported function per kernel, a loop nest over the kernel's iteration space that loads its
 * inputs through their strides, evaluates the expression DAG in registers (render_assemblyscript.ts)
 * and stores its outputs (a reduction store accumulates into its output). When the vectoriser's
 * rules (vectorize.ts) give the kernel a vector plan, its innermost loop runs four elements at a
 * time and the scalar body the remainder. Arguments are byte addresses in the shared linear
 * memory, then a range `[lo, hi)` of the outermost axis to run, so that threads can split a
 * kernel (see `splittable`). The bodies take where they find their arrays (`Places`), so that a
 * scan's loop kernel (loop_codegen.ts) renders its body with them.
 * @module
 */
import type { DType } from "../../core/dtype.ts";
import {
  type Expr,
  indexedAxes,
  type IndexedAxis,
  type LoopKernel,
  operands,
  paddedAxes,
  reduceIdentity,
  type Store,
  storeDType,
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
  viewStrideTerms,
} from "../lowering/sized_kernel.ts";
import {
  lanesRange,
  planVector,
  type ReducePattern,
  type VectorPlan,
  type VectorTarget,
} from "../lowering/vectorize.ts";
import {
  ASSEMBLYSCRIPT_VECTOR,
  boolBytes,
  boolBytesStore,
  boolLoad16,
  boolStore16,
  constantGlobals,
  type Lanes,
  paramName,
  paramSplat,
  partNames,
  REG,
  renderScalar,
  renderVector,
  SCALAR_REDUCE,
  scalarConst,
  scalarLoad,
  scalarStore,
  SHIFT,
  vectorLoad,
  vectorReduce,
  vectorStore,
} from "./render_assemblyscript.ts";

/**
 * Byte-offset expression of an element of an array with `strides` (over the space's indices)
 * from element `offset`.
 */
export function offsetExpr(
  strides: readonly (number | string)[],
  shift: number,
  offset = 0,
  index: (d: number) => string = (d) => `i${d}`,
): string {
  const terms = strides.flatMap((
    s,
    d,
  ) => (s === 0 ? [] : [s === 1 ? index(d) : `${index(d)} * ${s}`]));
  if (offset) terms.push(`${offset}`);
  const linear = terms.length ? terms.join(" + ") : "0";
  return shift ? `((${linear}) << ${shift})` : `(${linear})`;
}

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

/** A kernel's nodes in evaluation order and their register names (constants render inline). */
export interface Registers {
  /** The loads, then the other non-constant nodes, operands before their users. */
  readonly order: readonly Expr[];
  /** The register holding a node's value. */
  readonly name: (e: Expr) => string;
}

/** Names the registers of `k`'s nodes: `t0`, `t1`, ... in evaluation order, loads first. */
export function registers(k: LoopKernel): Registers {
  const nodes = topologicalOrder(k.stores.map((s) => s.value));
  // Loads first: every read of a point precedes every write (outputs may overwrite inputs).
  const loads = nodes.filter((e) => e.kind === "load");
  const order: Expr[] = [...loads, ...nodes.filter((e) => e.kind !== "load" && e.kind !== "const")];
  const names = new Map<Expr, string>(order.map((e, i) => [e, `t${i}`]));
  return { order, name: (e) => names.get(e)! };
}

/**
 * Where a kernel's body finds its arrays. A fused kernel's are its arguments (`ARGUMENTS`); a
 * loop kernel (loop_codegen.ts) adds the step's offset to the base of those it steps through,
 * and holds its carries in registers across steps: a load of an input with a `register` reads
 * that register, a store assigns its value to the output's `registers` (after every load of the
 * body, so a step reads the carries it started with) and to memory only where it has a `base`.
 */
export interface Places {
  /** Input `i`'s base address, or the register holding it. */
  readonly input: (i: number) => { base: string } | { register: string };
  /** Output `i`'s base address (none: not in memory) and the registers its value goes to. */
  readonly output: (i: number) => { base?: string; registers: readonly string[] };
}

/** A fused kernel's arrays: its arguments `in${i}` and `out${i}`. */
export const ARGUMENTS: Places = {
  input: (i) => ({ base: `in${i}` }),
  output: (i) => ({ base: `out${i}`, registers: [] }),
};

/** The address of index load `ix.index`'s element at the loop indices, its arrays at `places`. */
function indexAddress(k: LoopKernel, ix: IndexedAxis, places: Places): string {
  const place = places.input(k.loads[ix.index].input);
  if ("register" in place) throw new Error("fused codegen: an index load from a register");
  const strides = viewStrideTerms(k, "load", ix.index);
  return `${place.base} + ${offsetExpr(strides, SHIFT.int32, k.loads[ix.index].offset)}`;
}

/**
 * The address of a view of `k` (load or store `i` by `kind`, indexed along `ix`) at `base`, of
 * elements of `shift`, at the loop indices (`index`; the indexed axis at the position), and the
 * statements reading its position into `${name}at` first (in range: `rangeCheck` ran first).
 * With `hoisted` (before a lanes loop, whose steps keep the position), the statements also name
 * `${name}row` the view's address at the position, and the address adds the other axes to it.
 */
function indexedView(
  k: LoopKernel,
  [kind, i]: ["load" | "store", number],
  ix: IndexedAxis,
  { base, shift, offset, name, places, hoisted }: {
    base: string;
    shift: number;
    offset?: number;
    name: string;
    places: Places;
    hoisted: boolean;
  },
  index: (d: number) => string,
): { addr: string; statements: string[] } {
  const terms = viewStrideTerms(k, kind, i);
  const at = (d: number) => (d === ix.axis ? `${name}at` : index(d));
  const read = `const ${name}at = load<i32>(${indexAddress(k, ix, places)});`;
  if (!hoisted) {
    return { addr: `${base} + ${offsetExpr(terms, shift, offset, at)}`, statements: [read] };
  }
  const along = terms.map((t, d) => (d === ix.axis ? t : 0));
  const rest = terms.map((t, d) => (d === ix.axis ? 0 : t));
  return {
    addr: `${name}row + ${offsetExpr(rest, shift, offset, at)}`,
    statements: [read, `const ${name}row = ${base} + ${offsetExpr(along, shift, 0, at)};`],
  };
}

/**
 * The check of `k`'s positions, run first: for each indexed axis, a loop over the axes its index
 * load moves along (the outermost over `[lo, hi)`) testing every position the kernel will read;
 * where one is out of range, the kernel sets its `outOfRange` flag and returns 1 (else, at its
 * end, 0). So the loops read only positions in range and need not test them.
 */
function rangeCheck(k: LoopKernel): string[] {
  if (k.outOfRange === undefined) return [];
  const checks = [...new Map(indexedAxes(k).map((ix) => [`${ix.index}:${ix.size}`, ix])).values()];
  const bail = `{ store<i32>(out${k.outOfRange}, 1); return 1; }`;
  return checks.map((ix) => {
    const moves = k.loads[ix.index].strides.flatMap((st, d) => (st === 0 ? [] : [d]));
    const position = `<u32>load<i32>(${indexAddress(k, ix, ARGUMENTS)})`;
    const test = `if (${position} >= <u32>(${indexedSize(k, ix)})) ${bail}`;
    const loops = moves.map((d) =>
      d === 0
        ? `for (let i0 = lo; i0 < hi; i0++)`
        : `for (let i${d} = 0; i${d} < ${axisSize(k, d)}; i${d}++)`
    );
    return [...loops, test].join(" ");
  });
}

/**
 * Where load node `e` reads at the loop indices: a register, or the address of its element and,
 * for a padded load, the test of the indices that read it. Points outside its bounds read the
 * padding value instead, selected without a branch: their address is that of the point with
 * each padded index clamped into its bounds (an element of the input, never past it). With
 * `hoisted` (in a lanes loop, whose fours run only within the innermost axis's bounds), the
 * innermost index is neither tested nor clamped, and the test and the other clamped indices are
 * the named constants `statements` declares (once before the loop: its steps do not move them).
 * A gathered load's `statements` read its position (`indexedView`), before the read, or with
 * `hoisted` before the loop.
 */
function loadPlace(
  k: LoopKernel,
  e: Extract<Expr, { kind: "load" }>,
  places: Places,
  hoisted?: string,
): { register: string } | { addr: string; inBounds?: string; statements: string[] } {
  const l = k.loads[e.load];
  const place = places.input(l.input);
  if ("register" in place) return place;
  const last = k.space.length - 1;
  const axes = paddedAxes(k.space, l.padding).filter((d) => !hoisted || d !== last);
  const clamp = (d: number) => {
    const [from, to] = l.padding!.bounds[d];
    return `max<i32>(${from}, min<i32>(i${d}, ${to - 1}))`;
  };
  const index = (d: number) => !axes.includes(d) ? `i${d}` : hoisted ? `${hoisted}_${d}` : clamp(d);
  // A gathered load (never padded) reads its position first: once before a lanes loop.
  if (l.gather) {
    const view = { base: place.base, shift: SHIFT[e.dtype], offset: l.offset, places };
    const options = { ...view, name: `pl${e.load}`, hoisted: hoisted !== undefined };
    return indexedView(k, ["load", e.load], l.gather, options, index);
  }
  const strides = viewStrideTerms(k, "load", e.load);
  const addr = `${place.base} + ${offsetExpr(strides, SHIFT[e.dtype], l.offset, index)}`;
  if (!axes.length) return { addr, statements: [] };
  const test = axes.map((d) => {
    const [from, to] = l.padding!.bounds[d];
    return `(${from === 0 ? `i${d} < ${to}` : `<u32>(i${d} - ${from}) < ${to - from}`})`;
  }).join(" && ");
  if (!hoisted) return { addr, inBounds: test, statements: [] };
  const statements = [
    `const ${hoisted} = ${test};`,
    ...axes.map((d) => `const ${hoisted}_${d} = ${clamp(d)};`),
  ];
  return { addr, inBounds: hoisted, statements };
}

/** `read` (of type `type`) where the indices pass `inBounds` (always, when absent), else `padding`. */
const padded = (type: string, read: string, padding: string, inBounds?: string): string =>
  inBounds ? `select<${type}>(${read}, ${padding}, ${inBounds})` : read;

/** The padding value of load node `e` of `k`, as an expression of its dtype. */
const paddingConst = (k: LoopKernel, e: Extract<Expr, { kind: "load" }>): Expr => ({
  kind: "const",
  dtype: e.dtype,
  value: k.loads[e.load].padding?.value ?? 0,
});

/**
 * The address of store `s`'s element (none: not in memory), the registers its value goes to, and
 * the statements reading a scatter's position first (`indexedView`, `hoisted` before a lanes
 * loop); for a store with an accumulator, its element in the accumulators of one step of axis 0.
 */
function storePlaces(
  k: LoopKernel,
  s: Store,
  places: Places,
  hoisted = false,
): { addr?: string; registers: readonly string[]; statements: string[] } {
  if (s.accumulator) {
    const terms = viewStrideTerms(k, "store", k.stores.indexOf(s)).map((t, d) => (d ? t : 0));
    return {
      addr: `${accumulatorsOf(s)} + ${offsetExpr(terms, SHIFT[s.accumulator])}`,
      registers: [],
      statements: [],
    };
  }
  const { base, registers } = places.output(s.output);
  const i = k.stores.indexOf(s), shift = SHIFT[k.outputs[s.output]];
  const index = (d: number) => `i${d}`;
  if (base && s.scatter) {
    const options = { base, shift, offset: s.offset, name: `ps${i}`, places, hoisted };
    return { registers, ...indexedView(k, ["store", i], s.scatter, options, index) };
  }
  const addr = base &&
    `${base} + ${offsetExpr(viewStrideTerms(k, "store", i), shift, s.offset, index)}`;
  return { addr, registers, statements: [] };
}

/** The scalar body of one point of `k`'s space, its arrays at `places`. */
export function scalarBody(k: LoopKernel, regs: Registers, places: Places = ARGUMENTS): string[] {
  const ref = (e: Expr) => (e.kind === "const" ? scalarConst(e.dtype, e.value) : regs.name(e));
  const body = regs.order.flatMap((e) => {
    const at = e.kind === "load" ? loadPlace(k, e, places) : null;
    const first = at && "statements" in at ? at.statements : [];
    const value = !at
      ? renderScalar(e, operands(e).map(ref))
      : "register" in at
      ? at.register
      : padded(
        REG[e.dtype],
        scalarLoad(e.dtype, at.addr),
        ref(paddingConst(k, e as Extract<Expr, { kind: "load" }>)),
        at.inBounds,
      );
    return [...first, `const ${regs.name(e)}: ${REG[e.dtype]} = ${value};`];
  });
  for (const s of k.stores) {
    const d = storeDType(k, s);
    const { addr, registers, statements } = storePlaces(k, s, places);
    body.push(...statements);
    const value = s.reduce
      ? SCALAR_REDUCE[s.reduce]([scalarLoad(d, addr!), ref(s.value)], d)
      : ref(s.value);
    if (addr) body.push(scalarStore(d, addr, value));
    body.push(...registers.map((r) => `${r} = ${value};`));
  }
  return body;
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

/** How `emitFusedKernel` renders a kernel beyond its IR. */
export interface EmitOptions {
  /** What it vectorises (`ASSEMBLYSCRIPT_VECTOR` when absent). */
  readonly target?: VectorTarget;
  /**
   * Whether a lanes loop with reductions runs a wide loop too, where each reduction accumulates
   * into four consecutive outputs (each four of the wide loop its own), comes out the same in
   * any order (`orderFree`: each four of the wide loop its own accumulator) or accumulates in a
   * wider dtype (`Store.accumulator`, rounding once at the end: float32 sums along rows in 16
   * float64 partial sums, which were 9% slower in four).
   */
  readonly wideReductions?: boolean;
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
function indexedRows(
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
 * For a sized kernel with reductions whose plan runs lanes (an eager reduction's): the kernel
 * with its views' strides along the outer axes zeroed, where its body finds its arrays
 * (`row_in<i>`, `row_out<i>`), and the lines computing those addresses once at each point of the
 * outer axes, so that the innermost loop adds only its own index to them (V8 multiplies out
 * every outer index at every step otherwise: float32 sums along rows ran 8% slower). Null for
 * other kernels (jit's are never sized), and where a view shares its array with another.
 */
function rowAddresses(
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

/** The name of the parameter addressing the accumulators of store `s` (`Store.accumulator`). */
const accumulatorsOf = (s: Store) => `acc_out${s.output}`;

/**
 * The elements of the output of a store with an accumulator that one step of axis 0 owns: the
 * sizes of the other axes it keeps.
 */
const accumulated = (k: LoopKernel, s: Store) =>
  sizeProduct(k.space.flatMap((_, d) => (d > 0 && s.strides[d] !== 0 ? [axisSize(k, d)] : [])));

/** At each step of axis 0: the accumulators of each store with one set to its identity. */
function accumulatorInit(k: LoopKernel): string[] {
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
function accumulatorResults(k: LoopKernel): string[] {
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

/**
 * The vector loop of `k` under `plan`, its arrays at `places`, with a wide loop where its
 * stores allow (see `EmitOptions.wideReductions`).
 */
function vectorNest(
  k: LoopKernel,
  regs: Registers,
  plan: VectorPlan,
  options: EmitOptions,
  places: Places = ARGUMENTS,
): VectorLoop {
  const vector = vectorLoop(k, regs, plan, places);
  const wide = k.stores.every((s) => !s.reduce) || (options.wideReductions &&
    k.stores.every((s, i) =>
      orderFree(s, storeDType(k, s)) || s.accumulator || plan.stores[i] === "lanes"
    ));
  if (plan.mode === "lanes" && wide) vector.wide = wideLoop(k, regs, plan, places);
  return vector;
}

/** Rows of at least this many bytes that a move copies whole are one `memory.copy`. */
const BULK_BYTES = 512;

/**
 * A late rewrite of a strided kernel (sized_kernel.ts: an eager copy's) that moves whole
 * contiguous rows: when its one store writes the value of an unpadded load of its dtype, both
 * contiguous along the innermost axis in a lanes loop (`places` holding the row's addresses:
 * `stridedNest`), each row of at least `BULK_BYTES` bytes (a run-time size) is one
 * `memory.copy` (a call, but faster in bulk than the vector loops: 1.1-1.3x), and the loop goes
 * on to the next row; otherwise none. (Jit kernels, never strided, keep their loops.)
 */
function bulkRow(k: LoopKernel, plan: VectorPlan, places: Places): string[] | undefined {
  const last = k.space.length - 1;
  if (!isStrided(k) || plan.mode !== "lanes" || last < 1 || k.stores.length !== 1) return;
  const [s] = k.stores, e = s.value, d = k.outputs[s.output];
  if (s.reduce || e.kind !== "load" || e.dtype !== d || k.loads[e.load].padding) return;
  const from = places.input(k.loads[e.load].input), to = places.output(s.output).base;
  if (plan.loads.get(e.load) !== "contiguous" || !("base" in from) || !to) return;
  const bytes = `(${axisSize(k, last)} << ${SHIFT[d]})`;
  return [
    `if (${bytes} >= ${BULK_BYTES}) {`,
    `  memory.copy(${to}, ${from.base}, ${bytes});`,
    `  continue;`,
    `}`,
  ];
}

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

/** Whether each load of `k` reads an input of its own and each store writes an output of its own. */
const steppable = (k: LoopKernel): boolean =>
  new Set(k.loads.map((l) => l.input)).size === k.loads.length &&
  new Set(k.stores.map((s) => s.output)).size === k.stores.length;

/**
 * The loops of a strided kernel (sized_kernel.ts: an eager copy's), whose views' strides are
 * run-time parameters: each loop but the innermost steps each view's address (`a<d>_<view>`,
 * from the address of the loop around it) by the view's stride along it, one add per view and
 * iteration (as the hand-written odometer did), so that a row's addresses take no products of
 * every index, at any rank; an output in place of an input (`StridedLoopKernel.inPlace`) is
 * that input's addresses. A row then runs `shortRow`'s two steps where the kernel's rows are
 * short, else the vector loop of `plan` (first `bulkRow`'s whole-row copy, where it applies),
 * or, without one, the scalar body with each view's address stepped by its innermost stride.
 */
function stridedNest(
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

/**
 * Whether reduction store `s` of dtype `d` gives the same bits in any order of its values:
 * max and min (NaN propagating, -0 below +0), and int32 sums and products (wrapping).
 */
export function orderFree(s: Store, d: DType): boolean {
  return !s.reduce || s.reduce === "max" || s.reduce === "min" || d === "int32";
}

/**
 * Fours of elements a wide vector loop runs per iteration: one 64-byte line of float32, and the
 * 16 bools of one v128 (`boolLoad16`, `boolStore16`).
 */
export const WIDE = 4;

/**
 * A lanes loop's body repeated for `WIDE` consecutive fours of the innermost axis (copy `u`
 * names its registers `t<n>_<u>` and reaches its elements through constant byte offsets from
 * copy 0's addresses): every copy's loads and arithmetic, then every copy's stores, so that
 * independent chains (a math function's long latency) overlap and one loop test serves a line.
 * Contiguous bool loads and stores, and byte moves, move the copies' 16 bytes at once. Each element runs the
 * same operations as in the four-lane loop: the same bits. A copy's reduction across lanes has
 * its own accumulator, declared before the loop (`before`) and combined into the four-lane
 * loop's after it (`after`): only for reductions that come out the same in any order.
 */
function wideLoop(
  k: LoopKernel,
  regs: Registers,
  plan: VectorPlan,
  places: Places = ARGUMENTS,
): Required<VectorLoop>["wide"] {
  const bytewise = (s: Store, i: number) => byteReduction(k, plan, s, i);
  const rest = { ...k, stores: k.stores.filter((s, i) => !bytewise(s, i)) };
  const restPlan = { ...plan, stores: plan.stores.filter((_, i) => !bytewise(k.stores[i], i)) };
  const copies = Array.from(
    { length: WIDE },
    (_, u) => vectorBody(rest, regs, restPlan, { copy: u, places }),
  );
  const isStore = (l: string) => /^v128\.store/.test(l);
  const each = copies.map((c) => {
    const wide = new Set([...c.bools!.loads, ...c.bools!.stores, ...c.moves!].map((b) => b.line));
    return c.body.filter((l) => !wide.has(l));
  });
  const byteStores = copies[0].bools!.stores.map(({ addr }, j) =>
    boolStore16(addr, copies.map((c) => c.bools!.stores[j].value))
  );
  const lines = [...each.flat(), ...byteStores];
  const used = (r: string) => lines.some((l) => new RegExp(`\\b${r}\\b`).test(l));
  const byteLoads = copies[0].bools!.loads.flatMap(({ addr }, j) => {
    const names = copies.map((c) => c.bools!.loads[j].register);
    if (!names.some(used)) return [];
    const read = boolLoad16(addr, `w${j}`);
    return [...read.setup, ...names.map((r, u) => `const ${r} = ${read.fours[u]};`)];
  });
  const bytes = k.stores.flatMap((s, i) => {
    if (!bytewise(s, i)) return [];
    const e = s.value as Extract<Expr, { kind: "load" }>;
    const from = copies[0].bools!.loads.find((b) => b.register === `${regs.name(e)}_0`)!.addr;
    return [bytesReduction(s, from, storePlaces(k, s, places, true).addr!)];
  });
  const body = [
    ...byteLoads,
    ...each.flatMap((lines) => lines.filter((l) => !isStore(l))),
    ...copies[0].moves!.map((m) => m.wide),
    ...each.flatMap((lines) => lines.filter(isStore)),
    ...byteStores,
    ...bytes,
  ];
  const [before, after] = [copies.flatMap((c) => c.before), copies.flatMap((c) => c.after)];
  return { lanes: 4 * WIDE, body, before, after };
}

/**
 * Whether a wide body runs reduction store `s` (index `i`) of `k` on the 16 bytes of its value
 * (`bytesReduction`): a bool maximum (any) or minimum (all) of a contiguous unpadded bool load
 * into consecutive outputs.
 */
function byteReduction(k: LoopKernel, plan: VectorPlan, s: Store, i: number): boolean {
  const e = s.value;
  return !!s.reduce && s.reduce !== "add" && k.outputs[s.output] === "bool" &&
    e.kind === "load" && !k.loads[e.load].padding && plan.loads.get(e.load) === "contiguous" &&
    plan.stores[i] === "lanes";
}

/**
 * A wide body's step of bool reduction store `s` (lanes pattern) of the 16 bools at `from`
 * (bytes 0 or 1) into the 16 consecutive outputs at `to`: ors (max: any) or ands (min: all)
 * them byte by byte, with one vector load and store.
 */
function bytesReduction(s: Store, from: string, to: string): string {
  const op = s.reduce === "max" ? "v128.or" : "v128.and";
  return `v128.store(${to}, ${op}(v128.load(${to}), v128.load(${from})));`;
}

/**
 * The vector loop of a kernel: `body` covers four elements of the space (as its plan's mode
 * says); `before` and `after` run around the loop (accumulators of reductions across lanes). A
 * pairs loop is preceded by one taking four steps of the pair axis at a time (`quad`): two halves
 * of the pairs body, whose reductions leave their pairs in registers declared by `declare`, then
 * `combine` adds all four into four consecutive outputs with one vector load and store. A lanes
 * loop may be preceded by one taking several fours at a time (`wide`).
 */
export interface VectorLoop {
  /** How each step covers four elements. */
  kind: VectorPlan["mode"];
  /** The lines of one step. */
  body: string[];
  /** Lines before the loop. */
  before: string[];
  /** Lines after the loop. */
  after: string[];
  /** A pairs loop's four-steps-at-a-time loop before it. */
  quad?: { halves: [string[], string[]]; declare: string[]; combine: string[] };
  /**
   * A lanes loop's body of `lanes` elements, run before the four-lane loop, with lines before
   * it (after the four-lane loop's) and after it.
   */
  wide?: { lanes: number; body: string[]; before?: string[]; after?: string[] };
  /**
   * The range `[from, to)` of the innermost axis a lanes loop's fours run in where a load is
   * padded along it (`lanesRange`): the scalar body runs the points before and after it.
   */
  within?: [number, number];
  /**
   * The body's contiguous bool loads (their register and address) and plain bool stores (their
   * address and mask value), each one line of `body`, which a wide body does 16 at a time.
   */
  bools?: {
    loads: { register: string; addr: string; line: string }[];
    stores: { addr: string; value: string; line: string }[];
  };
  /**
   * Lines a lanes loop runs first on each row, which may `continue` past the row's loops
   * (`bulkRow`).
   */
  bulk?: string[];
  /** The body's byte moves (`byteMove`), each one line of `body`, and its 16-bool form. */
  moves?: { line: string; wide: string }[];
}

/** The vector loop of `k` under `plan`, its arrays at `places`. */
function vectorLoop(
  k: LoopKernel,
  regs: Registers,
  plan: VectorPlan,
  places: Places = ARGUMENTS,
): VectorLoop {
  const loop = vectorBody(k, regs, plan, { places });
  if (plan.mode !== "pairs") return { ...loop, within: lanesRange(k) };
  const [h0, h1] = [0, 1].map((half) => vectorBody(k, regs, plan, { half, places }));
  return { ...loop, quad: { halves: [h0.body, h1.body], declare: h0.before, combine: h0.after } };
}

/** What runs around the loops of `loopNest`. */
export interface LoopSurroundings {
  /** Lines at the start of each step of the outermost loop. */
  readonly enter?: string[];
  /** Lines at the end of each step of the outermost loop. */
  readonly leave?: string[];
  /** Lines before each run of the innermost loop of a lanes loop. */
  readonly row?: string[];
  /** Per loop `d` around the body (or the vector loops): the lines each of its steps starts with. */
  readonly levels?: readonly (readonly string[])[];
  /**
   * Of a lanes loop over three axes: the scalar body, vector loop and row lines that step 0 of
   * axis 1 runs instead (a reduction along it storing its first values instead of combining).
   */
  readonly peel?: { body: string[]; vector: VectorLoop; row?: string[] };
}

/**
 * The loops over `space` around the scalar `body`, the outermost one over `[lo, hi)`; with a
 * vector loop, it runs four elements at a time and the scalar body on the remainder (of the range,
 * when that loop is also the outermost), and on the points of a lanes loop outside its `within`.
 * `around` says what runs around the loops (`LoopSurroundings`).
 */
export function loopNest(
  space: readonly (number | string)[],
  body: string[],
  vector: VectorLoop | null,
  around: LoopSurroundings = {},
): string[] {
  const indent = (n: number) => "  ".repeat(n);
  const last = space.length - 1;
  const outer = !vector ? space.length : vector.kind === "lanes" ? last : last - 1;
  const bounds = (d: number): [string, string] => (d === 0 ? ["lo", "hi"] : ["0", `${space[d]}`]);
  const peel = vector?.kind === "lanes" && outer === 2 ? around.peel : undefined;
  const lines = space.slice(0, peel ? 1 : outer).flatMap((_, d) => {
    const [from, to] = bounds(d);
    const enter = d === 0 ? (around.enter ?? []).map((l) => indent(2) + l) : [];
    const level = (around.levels?.[d] ?? []).map((l) => `${indent(d + 2)}${l}`);
    return [
      `${indent(d + 1)}for (let i${d} = ${from}; i${d} < ${to}; i${d}++) {`,
      ...level,
      ...enter,
    ];
  });
  const at = indent(outer + 1);
  /** The lanes loop of the innermost axis (the scalar `body` around `vector`), at `at`. */
  const lanes = (at: string, body: string[], vector: VectorLoop, row: string[]): string[] => {
    const lines: string[] = [];
    const i = `i${last}`, [from, n] = bounds(last);
    const scalar = (to: string) => [
      `${at}for (; ${i} < ${to}; ${i}++) {`,
      ...body.map((l) => `${at}  ${l}`),
      `${at}}`,
    ];
    // Bounds of the fours: within the range of the axis (the outermost's runs to hi).
    const upTo = (b: number) => (last === 0 ? `min<i32>(${b}, hi)` : `${b}`);
    const [start, end] = vector.within ?? [0, null];
    const stop = end === null ? n : upTo(end);
    // A run-time size below 4 skips the vector loops and what runs around them (accumulators).
    const aroundLoops = vector.before.length + vector.after.length > 0;
    const guard = typeof space[last] === "string" && !vector.within && last > 0 && aroundLoops;
    const vat = guard ? at + "  " : at;
    const head = guard ? [] : [...vector.before, ...vector.wide?.before ?? []];
    lines.push(
      ...[...row, ...vector.bulk ?? [], ...head].map((l) => at + l),
      `${at}let ${i} = ${from};`,
    );
    if (guard) lines.push(`${at}if (${n} >= 4) {`, ...vector.before.map((l) => vat + l));
    if (start > 0) lines.push(...scalar(upTo(start)));
    if (vector.wide) {
      const { lanes, body, before = [], after = [] } = vector.wide;
      // Likewise a run-time size below the wide loop's lanes skips it and its accumulators.
      const wat = guard ? vat + "  " : vat;
      if (guard) lines.push(`${vat}if (${n} >= ${lanes}) {`, ...before.map((l) => wat + l));
      lines.push(`${wat}for (; ${i} + ${lanes} <= ${stop}; ${i} += ${lanes}) {`);
      lines.push(...body.map((l) => `${wat}  ${l}`), `${wat}}`, ...after.map((l) => wat + l));
      if (guard) lines.push(`${vat}}`);
    }
    lines.push(`${vat}for (; ${i} + 4 <= ${stop}; ${i} += 4) {`);
    lines.push(...vector.body.map((l) => `${vat}  ${l}`), `${vat}}`);
    lines.push(...vector.after.map((l) => vat + l));
    if (guard) lines.push(`${at}}`);
    lines.push(...scalar(n));
    return lines;
  };
  if (peel && vector) {
    // Step 0 of axis 1 on its own (its body's own loop), then steps 1 on.
    lines.push(`${indent(2)}{`, `${at}const i1 = 0;`);
    lines.push(...lanes(at, peel.body, peel.vector, peel.row ?? []), `${indent(2)}}`);
    lines.push(`${indent(2)}for (let i1 = 1; i1 < ${space[1]}; i1++) {`);
    lines.push(...lanes(at, body, vector, around.row ?? []), `${indent(2)}}`);
  } else if (vector?.kind === "lanes") {
    lines.push(...lanes(at, body, vector, around.row ?? []));
  } else if (vector) {
    const p = `i${last - 1}`, i = `i${last}`, n = space[last - 1];
    lines.push(`${at}let ${p} = 0;`);
    if (vector.quad) {
      const { halves, declare, combine } = vector.quad;
      lines.push(`${at}for (; ${p} + 4 <= ${n}; ${p} += 4) {`, `${at}  const base = ${p};`);
      lines.push(...declare.map((l) => `${at}  ${l}`));
      halves.forEach((half, h) => {
        lines.push(
          `${at}  {`,
          `${at}    const ${p} = base + ${2 * h};`,
          `${at}    const ${i} = 0;`,
        );
        lines.push(...half.map((l) => `${at}    ${l}`), `${at}  }`);
      });
      lines.push(...combine.map((l) => `${at}  ${l}`), `${at}}`);
    }
    lines.push(`${at}for (; ${p} + 2 <= ${n}; ${p} += 2) {`);
    lines.push(`${at}  const ${i} = 0;`, ...vector.body.map((l) => `${at}  ${l}`), `${at}}`);
    lines.push(`${at}for (; ${p} < ${n}; ${p}++) {`);
    lines.push(`${at}  for (let ${i} = 0; ${i} < 2; ${i}++) {`);
    lines.push(...body.map((l) => `${at}    ${l}`), `${at}  }`, `${at}}`);
  } else {
    lines.push(...body.map((l) => at + l));
  }
  for (let d = (peel ? 1 : outer) - 1; d >= 0; d--) {
    if (d === 0) lines.push(...(around.leave ?? []).map((l) => indent(2) + l));
    lines.push(`${indent(d + 1)}}`);
  }
  return lines;
}

/** Where a vector body runs: see `vectorBody`. */
export interface VectorBodyOptions {
  /** Half 0 or 1 of a quad step. */
  readonly half?: number;
  /** Where it finds its arrays (registers there hold four lanes). */
  readonly places?: Places;
  /** As copy `copy` of a wide body: the `copy`-th four after the loop index's. */
  readonly copy?: number;
  /** A suffix of its registers' names (a second four of the same step: `shortRow`). */
  readonly suffix?: string;
  /**
   * Whether it evaluates and stores only each value's first v128 (of a float64 kernel whose
   * nodes are lanewise on each v128: `halfLanes`): two elements, not four (`shortRow`).
   */
  readonly first?: boolean;
}

/**
 * The body of `k` as v128 code for four consecutive elements of the space, under `plan` (as half
 * `half` of a quad step, or copy `copy` of a wide body, when given), its arrays at `places`.
 * Every node rounds (or wraps) exactly as its scalar form, so both loops agree bit for bit,
 * except that a sum across lanes adds four interleaved partial sums (max and min come out the
 * same in any order).
 */
export function vectorBody(
  k: LoopKernel,
  regs: Registers,
  plan: VectorPlan,
  { half, places = ARGUMENTS, copy, suffix = "", first = false }: VectorBodyOptions = {},
): VectorLoop {
  const width = (l: Lanes) => (first ? l.slice(0, 1) : l);
  const name = (e: Expr) =>
    copy === undefined ? `${regs.name(e)}${suffix}` : `${regs.name(e)}_${copy}`;
  const lanes = (e: Expr): Lanes =>
    e.kind === "const" ? renderVector(e, [])! : partNames(name(e), e.dtype);
  /** Copy `copy`'s byte offset from copy 0 along `strides` (innermost stride 0 or 1). */
  const offset = (strides: readonly number[], d: DType) =>
    copy ? (4 * copy * strides[strides.length - 1]) << SHIFT[d] : 0;
  const step = { rank: k.space.length, mode: plan.mode, copy };
  const body: string[] = [], before: string[] = [], after: string[] = [];
  const bools: Required<VectorLoop>["bools"] = { loads: [], stores: [] };
  const moved = k.stores.map((s) => byteMove(k, plan, s, places));
  // Nodes only byte moves read are not evaluated as lanes.
  const reached = (moves: boolean) =>
    new Set(topologicalOrder(k.stores.filter((_, i) => !!moved[i] === moves).map((s) => s.value)));
  const [kept, movedOnly] = [reached(false), reached(true)];
  for (const e of regs.order) {
    if (movedOnly.has(e) && !kept.has(e)) continue;
    const r = name(e);
    let value: Lanes;
    if (e.kind !== "load") value = renderVector(e, operands(e).map(lanes), step)!;
    else {
      // In a lanes loop a padded load's test and clamped indices are the same for every step of
      // the innermost axis: once before it (the copies of a wide body share them).
      const at = loadPlace(k, e, places, plan.mode === "lanes" ? `b${e.load}` : undefined);
      if ("register" in at) value = partNames(at.register, e.dtype);
      else {
        if (copy === undefined) before.push(...at.statements);
        const pattern = plan.loads.get(e.load)!;
        const at0 = offset(k.loads[e.load].strides, e.dtype);
        const read = vectorLoad(e.dtype, pattern, at.addr, `p${r}`, at0);
        body.push(...read.setup);
        const padding = lanes(paddingConst(k, e));
        value = read.lanes.map((lane, p) => padded("v128", lane, padding[p], at.inBounds));
        if (e.dtype === "bool" && pattern === "contiguous" && !at.inBounds) {
          bools.loads.push({ register: r, addr: at.addr, line: `const ${r} = ${value[0]};` });
        }
      }
    }
    const names = width(partNames(r, e.dtype));
    body.push(...names.map((n, p) => `const ${n} = ${value[p]};`));
  }
  // Byte moves first: each reads memory, so before any store writes (outputs may overwrite inputs).
  const moves: Required<VectorLoop>["moves"] = [];
  k.stores.forEach((s, i) => {
    const bytes = moved[i];
    if (!bytes) return;
    const addr = storePlaces(k, s, places).addr!, at = offset(s.strides, "bool");
    const line = boolBytesStore(addr, bytes(4, copy ? 4 * copy : 0), 4, at);
    body.push(line);
    moves.push({ line, wide: boolBytesStore(addr, bytes(16, 0), 16) });
  });
  k.stores.forEach((s, i) => {
    if (moved[i]) return;
    const d = storeDType(k, s);
    const value = lanes(s.value);
    if (!s.reduce) {
      const { addr, registers } = storePlaces(k, s, places);
      if (addr) {
        const line = vectorStore(d, addr, width(value), offset(s.strides, d));
        body.push(line);
        if (d === "bool") bools.stores.push({ addr, value: value[0], line });
      }
      for (const r of registers) {
        body.push(...partNames(r, d).map((n, p) => `${n} = ${value[p]};`));
      }
      return;
    }
    const { addr: at, statements } = storePlaces(k, s, places, plan.mode === "lanes");
    // A scatter's position is the same through the loop (vectorize.ts): read once before it.
    if (copy === undefined) before.push(...statements);
    const where = { addr: at!, offset: offset(s.strides, d), half, copy };
    const step = vectorReduction(s, d, plan.stores[i]!, value, where);
    body.push(...step.body);
    before.push(...step.before);
    after.push(...step.after);
  });
  return { kind: plan.mode, body, before, after, bools, moves };
}

/**
 * Whether plain store `s` of `k` is a byte move in a lanes loop: a bool store whose value is
 * an unpadded, ungathered bool load (contiguous or splat) or a bool parameter, with no arithmetic, so that
 * its bools move as the bytes they are (0 or 1) instead of lane masks (`boolBytes`); then the
 * v128 of its `n` (4 or 16) bools from the point `ahead` elements on (contiguous loads), else
 * null.
 */
function byteMove(
  k: LoopKernel,
  plan: VectorPlan,
  s: Store,
  places: Places,
): ((n: 4 | 16, ahead: number) => string) | null {
  const out = places.output(s.output), e = s.value;
  if (plan.mode !== "lanes" || s.reduce || k.outputs[s.output] !== "bool") return null;
  if (!out.base || out.registers.length) return null;
  if (e.kind === "param") return (n) => boolBytes({ param: paramName(e.param) }, n);
  // (A gathered load reads its position before the loop: it stays a load of lanes.)
  if (e.kind !== "load" || k.loads[e.load].padding || k.loads[e.load].gather) return null;
  const pattern = plan.loads.get(e.load);
  const at = loadPlace(k, e, places);
  if ((pattern !== "contiguous" && pattern !== "splat") || "register" in at) return null;
  return (n, ahead) =>
    boolBytes({ addr: at.addr, pattern, offset: pattern === "splat" ? 0 : ahead }, n);
}

/**
 * A reduction store's step in the vector loop (its dtype `d` float32 or int32, float64 in
 * `lanes` and `across`, bool in `lanes`; its element at `addr`; `lanes` its value's v128s), with what runs
 * before and after that loop. `lanes` (a bias gradient's sum over the
 * batch) accumulates four consecutive outputs at once, in the scalar loop's order; `across` (a
 * sum over a row) accumulates four lanes in a register across the loop, folds them after it and
 * adds the result to its output, before the scalar loop adds the rest; `pairs` takes `value`'s
 * pairs p and p + 1 in the scalar loop's order (first elements, then second); as half `half` (0
 * or 1) of a quad step it leaves them in a register, and the step's end adds pairs p to p + 3 in
 * the same order. As copy `copy` of a wide body, `lanes` reaches its outputs `offset` bytes on,
 * and `across` accumulates in a register of its own, combined into the four-lane loop's after
 * the wide loop.
 */
function vectorReduction(
  s: Store,
  d: DType,
  pattern: ReducePattern,
  lanes: Lanes,
  where: { addr: string; offset: number; half?: number; copy?: number },
): { body: string[]; before: string[]; after: string[] } {
  const { addr, half, copy } = where;
  const { combine: op, lanes: type } = vectorReduce(s.reduce!, d);
  const only = (body: string[]) => ({ body, before: [], after: [] });
  const value = lanes[0];
  if (pattern === "lanes" && d === "bool") {
    const acc = vectorLoad(d, "contiguous", addr, "", where.offset).lanes[0];
    return only([vectorStore(d, addr, [`${op}(${acc}, ${value})`], where.offset)]);
  }
  if (pattern === "lanes") {
    return only(lanes.map((v, p) => {
      const bytes = where.offset + 16 * p;
      const imm = bytes ? `, ${bytes}` : "";
      return `v128.store(${addr}, ${op}(v128.load(${addr}${imm}), ${v})${imm});`;
    }));
  }
  if (pattern === "across") {
    const acc = `acc${s.output}`, folding = `${acc}h`;
    const accs = partNames(acc, d);
    const init = `${type}.splat(${scalarConst(d, reduceIdentity(s.reduce!, d))})`;
    const step = (names: Lanes) => names.map((n, p) => `${n} = ${op}(${n}, ${lanes[p]});`);
    if (copy !== undefined) {
      const mine = partNames(`${acc}_${copy}`, d);
      return {
        before: mine.map((n) => `let ${n} = ${init};`),
        body: step(mine),
        after: accs.map((n, p) => `${n} = ${op}(${n}, ${mine[p]});`),
      };
    }
    // Float64's two halves combine first, then its two lanes; four lanes fold in two steps.
    const halves = accs.length === 2
      ? `${op}(${accs[0]}, ${accs[1]})`
      : `${op}(${acc}, i32x4.shuffle(${acc}, ${acc}, 2, 3, 0, 1))`;
    const swap = accs.length === 2 ? "2, 3, 0, 1" : "1, 0, 3, 2";
    const folded =
      `${type}.extract_lane(${op}(${folding}, i32x4.shuffle(${folding}, ${folding}, ${swap})), 0)`;
    const combine = SCALAR_REDUCE[s.reduce!]([scalarLoad(d, addr), folded], d);
    return {
      before: accs.map((n) => `let ${n} = ${init};`),
      body: step(accs),
      after: [`const ${folding} = ${halves};`, scalarStore(d, addr, combine)],
    };
  }
  if (half !== undefined) {
    const [a, b] = [`quad${s.output}a`, `quad${s.output}b`];
    const firsts = `i32x4.shuffle(${a}, ${b}, 0, 2, 4, 6)`;
    const seconds = `i32x4.shuffle(${a}, ${b}, 1, 3, 5, 7)`;
    return {
      before: [`let ${a} = i32x4.splat(0), ${b} = ${a};`],
      body: [`${half === 0 ? a : b} = ${value};`],
      after: [`v128.store(${addr}, ${op}(${op}(v128.load(${addr}), ${firsts}), ${seconds}));`],
    };
  }
  const first = `i32x4.shuffle(${value}, ${value}, 0, 2, 0, 2)`;
  const second = `i32x4.shuffle(${value}, ${value}, 1, 3, 1, 3)`;
  const acc = `v128.load64_zero(${addr})`;
  return only([`v128.store64_lane(${addr}, ${op}(${op}(${acc}, ${first}), ${second}), 0);`]);
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
