/**
 * Structural keys of equations' params for common-subexpression elimination: two params objects
 * with the same key mean the same computation. Sub-jaxprs (the branches and bodies of control
 * flow) key by structure, their variables numbered in order of binding, so two loops traced
 * separately from the same function are one value; their constants key by identity.
 * @module
 */
import type { Array } from "../array.ts";
import { type Atom, Jaxpr, Literal, type Var } from "../jaxpr.ts";
import type { Params } from "../primitive.ts";

/** Numbers constants by identity, so keys made with one table compare constants. */
export type ConstIds = Map<Array, number>;

/** `L1:int32`: a literal's value and dtype. */
export function literalKey(l: Literal): string {
  return `L${l.value}:${l.aval.dtype}`;
}

/**
 * The key of `params`, or `null` where they hold something compared only by identity (a
 * function, a class instance other than a jaxpr).
 */
export function paramsKey(params: Params, constIds: ConstIds): string | null {
  let ok = true;
  const s = JSON.stringify(params, (_, v) => {
    if (v instanceof Jaxpr) {
      const k = jaxprKey(v, constIds);
      if (k === null) ok = false;
      return k;
    }
    if (
      typeof v === "function" ||
      (v !== null && typeof v === "object" && !globalThis.Array.isArray(v) &&
        Object.getPrototypeOf(v) !== Object.prototype)
    ) ok = false;
    return v;
  });
  return ok ? s : null;
}

/**
 * The key of a jaxpr: equal keys for jaxprs equal up to the names of their variables (same
 * types, equations, params and constants); `null` where an equation's params have none.
 */
export function jaxprKey(j: Jaxpr, constIds: ConstIds): string | null {
  const ids = new Map<Var, number>();
  const bind = (v: Var) => `${ids.set(v, ids.size).get(v)}:${v.aval}`;
  const atom = (a: Atom) => (a instanceof Literal ? literalKey(a) : `${ids.get(a)}`);
  const constId = (c: Array) => constIds.get(c) ?? constIds.set(c, constIds.size).get(c);
  const consts = j.constVars.map((v, i) => `${bind(v)}=c${constId(j.consts[i])}`);
  const ins = j.inBinders.map(bind);
  const eqns: string[] = [];
  for (const e of j.eqns) {
    const pk = paramsKey(e.params, constIds);
    if (pk === null) return null;
    const inputs = e.inputs.map(atom).join(",");
    eqns.push(`${e.outBinders.map(bind).join(",")}=${e.prim.name}${pk}(${inputs})`);
  }
  return `{${consts.join(",")};${ins.join(",")};${eqns.join(";")};${j.outs.map(atom).join(",")}}`;
}
