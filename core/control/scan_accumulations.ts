/**
 * Accumulations hoisted out of a scan. A carry that only sums a per-step contraction,
 * `acc' = acc + dot_general(p_t, q_t)` or `acc + reduce_sum(p_t)` (through transposes), holds after
 * the loop the one contraction over the stacked steps: `dot_general(P, Q)` with the scan axis
 * contracted too. The transpose of a scan is full of them (the cotangent of each weight it reads
 * is `sum_t h_t^T dz_t`); run as one large product after the loop instead of a small product and
 * an add of the whole weight per step, they take one pass over the weight instead of one per
 * step. Only the order of the sum's terms changes.
 * @module
 */
import { type Atom, Jaxpr, type JaxprEqn, paramsOf, Var } from "../jaxpr.ts";
import { dotGeneralP } from "../primitives/dot_general.ts";
import { reduceSumP } from "../primitives/reductions.ts";
import type { Array } from "../array.ts";
import type { Params } from "../primitive.ts";
import { range } from "../shape.ts";
import { bind1 } from "../trace.ts";
import { eliminateDeadCode } from "../transforms/simplify.ts";

/** Where the layout of a scan body's inputs and outputs splits. */
export interface ScanLayout {
  /** Loop-invariant inputs first. */
  numConsts: number;
  /** Then carries (inputs and the first outputs). */
  numCarry: number;
  /** Steps. */
  length: number;
}

/** A per-step operand of a hoisted contraction, stacked over the steps outside the loop. */
type Stacked = { xs: number } | { ys: number };

/** One carry hoisted out: its index among the carries and how to compute it after the loop. */
export interface HoistedAccumulation {
  /** Index of the carry in the original body. */
  carry: number;
  /**
   * The carry's final value, given its initial value, the scan's stacked inputs and its stacked
   * outputs (those of the rewritten body, whose extra outputs come last).
   */
  finish(init: Array, xs: readonly Array[], ys: readonly Array[]): Array;
}

/** A scan body with some accumulating carries removed, and how to compute them afterwards. */
export interface HoistedBody {
  /** The body without the hoisted carries, with extra stacked outputs appended. */
  body: Jaxpr;
  /** Indices of the carries the new body keeps, in order. */
  kept: number[];
  /** The hoisted carries. */
  hoisted: HoistedAccumulation[];
}

/** The contraction a step adds to an accumulator, through a chain of transposes. */
interface Increment {
  base: JaxprEqn;
  transposes: JaxprEqn[];
  add: JaxprEqn;
  /** Which operand of the add is the accumulator. */
  accAt: number;
}

const CONTRACTIONS: ReadonlySet<string> = new Set(["dot_general", "reduce_sum"]);

/** Equations by the variable they define. */
function definitions(j: Jaxpr): Map<Var, JaxprEqn> {
  const defs = new Map<Var, JaxprEqn>();
  for (const e of j.eqns) for (const v of e.outBinders) defs.set(v, e);
  return defs;
}

/** How many times each variable is read (by equations and as an output). */
function readCounts(j: Jaxpr): Map<Var, number> {
  const uses = new Map<Var, number>();
  const read = (a: Atom) => a instanceof Var && uses.set(a, (uses.get(a) ?? 0) + 1);
  for (const e of j.eqns) e.inputs.forEach(read);
  j.outs.forEach(read);
  return uses;
}

/** The increment of carry `i`, when its update is `acc + contraction` and it is read nowhere else. */
function incrementOf(
  j: Jaxpr,
  i: number,
  layout: ScanLayout,
  defs: Map<Var, JaxprEqn>,
  uses: Map<Var, number>,
): Increment | null {
  const acc = j.inBinders[layout.numConsts + i];
  const out = j.outs[i];
  const add = out instanceof Var ? defs.get(out) : undefined;
  if (!add || add.prim.name !== "add" || uses.get(acc) !== 1) return null;
  const k = add.inputs.indexOf(acc);
  const x = add.inputs[1 - k];
  if (k < 0 || !(x instanceof Var) || x.aval.dtype !== acc.aval.dtype) return null;
  const transposes: JaxprEqn[] = [];
  let e = defs.get(x);
  while (e?.prim.name === "transpose" && e.inputs[0] instanceof Var) {
    transposes.unshift(e);
    e = defs.get(e.inputs[0]);
  }
  if (!e || !CONTRACTIONS.has(e.prim.name)) return null;
  return { base: e, transposes, add, accAt: k };
}

/** Each stacked operand's per-step variable: an xs input, or an output the body stacks. */
function stackedSource(j: Jaxpr, v: Var, layout: ScanLayout, extra: Var[]): Stacked | null {
  const inputAt = j.inBinders.indexOf(v);
  const xsFrom = layout.numConsts + layout.numCarry;
  if (inputAt >= xsFrom) return { xs: inputAt - xsFrom };
  // A const or a carry read by the contraction: not per-step, or not stacked anywhere.
  if (inputAt >= 0) return null;
  const ysAt = j.outs.indexOf(v, layout.numCarry);
  if (ysAt >= 0) return { ys: ysAt - layout.numCarry };
  const at = extra.indexOf(v);
  const ysCount = j.outs.length - layout.numCarry;
  return { ys: ysCount + (at >= 0 ? at : extra.push(v) - 1) };
}

/** The contraction's params over operands with the scan axis first, summing over it too. */
function stackedParams(e: JaxprEqn): Params {
  const inc = (d: number) => d + 1;
  if (e.prim === reduceSumP) return { axes: [0, ...paramsOf(e, reduceSumP).axes.map(inc)] };
  const [[xc, yc], [xb, yb]] = paramsOf(e, dotGeneralP).dims;
  return { dims: [[[0, ...xc.map(inc)], [0, ...yc.map(inc)]], [xb.map(inc), yb.map(inc)]] };
}

/** Elements a per-step variable stacks to. */
const stackedSize = (v: Var, length: number) => v.aval.size * length;

/**
 * Hoists the accumulating carries among `candidates` (indices among the carries) out of a scan
 * body: each whose update is `acc + contraction(p_t, q_t)` through transposes, read nowhere else,
 * whose operands are per-step values. An operand the scan does not stack yet becomes an extra
 * stacked output, while all extra outputs together stack at most `maxExtra` elements.
 */
export function hoistAccumulations(
  j: Jaxpr,
  layout: ScanLayout,
  candidates: readonly number[],
  maxExtra: number,
): HoistedBody {
  const defs = definitions(j), uses = readCounts(j);
  const extra: Var[] = [];
  const hoisted: HoistedAccumulation[] = [];
  const dropped = new Set<number>();
  let extraSize = 0;
  for (const i of candidates) {
    const inc = incrementOf(j, i, layout, defs, uses);
    if (!inc) continue;
    const before = extra.length;
    const sources = inc.base.inputs.map((a) =>
      a instanceof Var ? stackedSource(j, a, layout, extra) : null
    );
    const added = extra.slice(before).reduce((n, v) => n + stackedSize(v, layout.length), 0);
    if (sources.some((s) => s === null) || extraSize + added > maxExtra) {
      extra.length = before;
      continue;
    }
    extraSize += added;
    dropped.add(i);
    hoisted.push({ carry: i, finish: finisher(inc, sources as Stacked[]) });
  }
  if (!hoisted.length) return { body: j, kept: range(layout.numCarry), hoisted };
  const kept = range(layout.numCarry).filter((i) => !dropped.has(i));
  const inBinders = j.inBinders.filter((_, k) =>
    !dropped.has(k - layout.numConsts) || k < layout.numConsts
  );
  const outs = [...kept.map((i) => j.outs[i]), ...j.outs.slice(layout.numCarry), ...extra];
  const body = eliminateDeadCode(new Jaxpr(j.constVars, j.consts, inBinders, j.eqns, outs));
  return { body, kept, hoisted };
}

/** Computes a hoisted carry after the loop: the contraction over the stacked operands, added in. */
function finisher(inc: Increment, sources: Stacked[]): HoistedAccumulation["finish"] {
  return (init, xs, ys) => {
    const operands = sources.map((s) => ("xs" in s ? xs[s.xs] : ys[s.ys]));
    let total = bind1(inc.base.prim, operands, stackedParams(inc.base));
    for (const t of inc.transposes) total = bind1(t.prim, [total], t.params);
    return bind1(inc.add.prim, inc.accAt === 0 ? [init, total] : [total, init], inc.add.params);
  };
}
