/**
 * Gemm epilogues: a float `dot_general` whose product goes only into an `add` (of a broadcast
 * bias, or of an array of the product's shape) and from there, optionally, only into relu
 * (`max` with zero) can compute all of them in one kernel, applying the addend and the
 * activation to each tile of the product as it is stored. Layout changes between the product
 * and the add (transposes, reshapes that only insert or drop unit axes: a convolution's product
 * becoming NCHW) are allowed: the gemm then reads the addend through them and the layout changes
 * run on the finished product. This finds those chains.
 * @module
 */
import { isFloat } from "../../core/dtype.ts";
import { type Atom, type Jaxpr, type JaxprEqn, Literal, Var } from "../../core/jaxpr.ts";

/** The equations a dot_general's epilogue computes, and those it reads views from. */
export interface Epilogue {
  /** Transposes and unit-axis reshapes between the product and the add, in order. */
  layout: JaxprEqn[];
  /** A reshape of the bias read only through the add (e.g. `[O]` to `[1, O, 1, 1]`). */
  sources: JaxprEqn[];
  /** The add, then the max of relu if any, in evaluation order. */
  eqns: JaxprEqn[];
  /** The broadcasts (views) the add and the max read: the bias, the zero. */
  views: JaxprEqn[];
}

/** Whether `a` is the literal 0 or a broadcast of it. */
function isZero(a: Atom, producer: Map<Var, JaxprEqn>): boolean {
  if (a instanceof Literal) return a.value === 0;
  const p = producer.get(a);
  return p !== undefined && p.prim.name === "broadcast_in_dim" && p.inputs[0] instanceof Literal &&
    (p.inputs[0] as Literal).value === 0;
}

/** Whether a reshape only inserts or drops axes of size 1 (it keeps the other axes' order). */
function isUnitReshape(e: JaxprEqn): boolean {
  const big = (shape: readonly number[]) => shape.filter((d) => d !== 1).join(",");
  return e.prim.name === "reshape" &&
    big(e.inputs[0].aval.shape) === big(e.outBinders[0].aval.shape);
}

/** Whether `e` only changes the layout of its operand in a way the epilogue can see through. */
function isLayout(e: JaxprEqn): boolean {
  return e.prim.name === "transpose" || isUnitReshape(e);
}

/** The one equation using `v`, if only one does and `v` is not a program output. */
function soleUse(v: Var, uses: Map<Var, JaxprEqn[]>, outs: Set<Atom>): JaxprEqn | undefined {
  const u = uses.get(v) ?? [];
  return u.length === 1 && !outs.has(v) ? u[0] : undefined;
}

/** The epilogue of each dot_general of `jaxpr` that has one. */
export function findEpilogues(jaxpr: Jaxpr): Map<JaxprEqn, Epilogue> {
  const producer = new Map<Var, JaxprEqn>();
  const index = new Map<JaxprEqn, number>();
  const uses = new Map<Var, JaxprEqn[]>();
  jaxpr.eqns.forEach((e, i) => {
    index.set(e, i);
    for (const v of e.outBinders) producer.set(v, e);
    for (const a of new Set(e.inputs)) {
      if (a instanceof Var) uses.set(a, [...(uses.get(a) ?? []), e]);
    }
  });
  const outs = new Set<Atom>(jaxpr.outs);
  /** Whether `v` is computed before equation `i` (or is an input), so a kernel there can read it. */
  const before = (v: Var, i: number) => !producer.has(v) || index.get(producer.get(v)!)! < i;
  const found = new Map<JaxprEqn, Epilogue>();
  jaxpr.eqns.forEach((dot, i) => {
    if (dot.prim.name !== "dot_general") return;
    if (!isFloat(dot.outBinders[0].aval.dtype)) return;
    const layout: JaxprEqn[] = [];
    let product = dot.outBinders[0];
    let add = soleUse(product, uses, outs);
    while (add && isLayout(add)) {
      layout.push(add);
      product = add.outBinders[0];
      add = soleUse(product, uses, outs);
    }
    if (!add || add.prim.name !== "add" || add.inputs[0] === add.inputs[1]) return;
    const addend = add.inputs[add.inputs[0] === product ? 1 : 0];
    if (!(addend instanceof Var)) return;
    const views: JaxprEqn[] = [];
    const sources: JaxprEqn[] = [];
    const view = producer.get(addend);
    if (view?.prim.name === "broadcast_in_dim") {
      let source = view.inputs[0];
      if (!(source instanceof Var) || producer.get(source)?.prim.name === "broadcast_in_dim") {
        return;
      }
      // The bias's reshape joins the kernel when nothing else reads it or its broadcast.
      const reshape = producer.get(source);
      const unshared = soleUse(source, uses, outs) === view && soleUse(addend, uses, outs) === add;
      if (reshape?.prim.name === "reshape" && unshared) {
        sources.push(reshape);
        source = reshape.inputs[0];
      }
      if (!(source instanceof Var) || !before(source, i)) return;
      views.push(view);
    } else if (!before(addend, i)) return;
    const eqns = [add];
    const sum = add.outBinders[0];
    const max = soleUse(sum, uses, outs);
    if (max?.prim.name === "max") {
      const other = max.inputs[max.inputs[0] === sum ? 1 : 0];
      if (other !== sum && isZero(other, producer)) {
        eqns.push(max);
        if (other instanceof Var) views.push(producer.get(other)!);
      }
    }
    found.set(dot, { layout, sources, eqns, views });
  });
  return found;
}
