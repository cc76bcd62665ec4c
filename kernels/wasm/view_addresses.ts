/**
 * Where a fused kernel's AssemblyScript finds its arrays: byte offsets of views, the registers of
 * its nodes, the places (addresses or registers) its loads read and its stores write, gathered
 * and scattered views' positions and their range check, and the scalar body of one point.
 * @module
 */
import {
  type Expr,
  indexedAxes,
  type IndexedAxis,
  type LoopKernel,
  operands,
  paddedAxes,
  type Store,
  storeDType,
  topologicalOrder,
} from "../lowering/kernel_ir.ts";
import { axisSize, indexedSize, viewStrideTerms } from "../lowering/sized_kernel.ts";
import {
  REG,
  renderScalar,
  SCALAR_REDUCE,
  scalarConst,
  scalarLoad,
  scalarStore,
  SHIFT,
} from "./render_assemblyscript.ts";
import { accumulatorsOf } from "./accumulators.ts";

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

/** Whether each load of `k` reads an input of its own and each store writes an output of its own. */
export const steppable = (k: LoopKernel): boolean =>
  new Set(k.loads.map((l) => l.input)).size === k.loads.length &&
  new Set(k.stores.map((s) => s.output)).size === k.stores.length;

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
export function rangeCheck(k: LoopKernel): string[] {
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
 * The prefix of the names a gathered load `load`'s statements declare: `<name>at` its position,
 * and, hoisted, `<name>row` its row's address (`indexedView`).
 */
export const gatheredName = (load: number): string => `pl${load}`;

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
export function loadPlace(
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
    const options = { ...view, name: gatheredName(e.load), hoisted: hoisted !== undefined };
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
export const padded = (type: string, read: string, padding: string, inBounds?: string): string =>
  inBounds ? `select<${type}>(${read}, ${padding}, ${inBounds})` : read;

/** The padding value of load node `e` of `k`, as an expression of its dtype. */
export const paddingConst = (k: LoopKernel, e: Extract<Expr, { kind: "load" }>): Expr => ({
  kind: "const",
  dtype: e.dtype,
  value: k.loads[e.load].padding?.value ?? 0,
});

/**
 * The address of store `s`'s element (none: not in memory), the registers its value goes to, and
 * the statements reading a scatter's position first (`indexedView`, `hoisted` before a lanes
 * loop); for a store with an accumulator, its element in the accumulators of one step of axis 0.
 */
export function storePlaces(
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
