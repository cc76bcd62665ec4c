/**
 * The vector loops of a fused kernel: its body four lanes at a time (`vectorBody`), the wide loop
 * of several fours per step, byte moves of bools, and reductions across and along the lanes.
 * @module
 */
import type { DType } from "../../core/dtype.ts";
import {
  type Expr,
  type LoopKernel,
  operands,
  reduceIdentity,
  type Store,
  storeDType,
  topologicalOrder,
} from "../lowering/kernel_ir.ts";
import {
  lanesRange,
  type ReducePattern,
  type VectorPlan,
  type VectorTarget,
} from "../lowering/vectorize.ts";
import {
  boolBytes,
  boolBytesStore,
  boolLoad16,
  boolStore16,
  type Lanes,
  paramName,
  partNames,
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
import {
  ARGUMENTS,
  loadPlace,
  padded,
  paddingConst,
  type Places,
  type Registers,
  storePlaces,
} from "./view_addresses.ts";

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
   * (bulk_rows.ts).
   */
  bulk?: string[];
  /** The body's byte moves (`byteMove`), each one line of `body`, and its 16-bool form. */
  moves?: { line: string; wide: string }[];
}

/**
 * The vector loop of `k` under `plan`, its arrays at `places`, with a wide loop where its
 * stores allow (see `EmitOptions.wideReductions`).
 */
export function vectorNest(
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
export function wideLoop(
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

/** The vector loop of `k` under `plan`, its arrays at `places`. */
export function vectorLoop(
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
