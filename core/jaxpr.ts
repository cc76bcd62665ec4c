/**
 * Jaxprs: Adjoint's typed, first-order IR, printed in JAX's text form
 * (`{ lambda ; a:f32[3]. let b:f32[3] = sin a in (b,) }`), and its evaluator.
 * @module
 */
import { type Array, ConcreteArray } from "./array.ts";
import type { ShapedArray } from "./aval.ts";
import type { ImplRule, Params, Primitive } from "./primitive.ts";
import { bind, evaluatingEagerly } from "./trace.ts";

/** A variable: bound once, by a jaxpr's inputs or an equation's outputs. */
export class Var {
  /** A fresh variable of the given type. */
  constructor(readonly aval: ShapedArray) {}
}

/** A scalar constant written inline in the jaxpr. */
export class Literal {
  /** A literal holding the concrete rank-0 array `val`. */
  constructor(readonly val: Array, readonly value: number) {}
  /** Type of the literal. */
  get aval(): ShapedArray {
    return this.val.aval;
  }
}

/** An equation input. */
export type Atom = Var | Literal;

/** One primitive application: `outBinders = prim[params] inputs`. */
export class JaxprEqn {
  /** An equation. */
  constructor(
    readonly prim: Primitive,
    readonly inputs: Atom[],
    readonly params: Params,
    readonly outBinders: Var[],
  ) {}
}

/**
 * The params of equation `e`, typed as those of `prims`: checked, so that reading them where `e`
 * applies another primitive throws instead of reading fields it does not have.
 */
export function paramsOf<P extends Params>(e: JaxprEqn, ...prims: Primitive<string, P>[]): P {
  if (!prims.some((p) => p === e.prim)) {
    throw new Error(
      `expected an equation of ${prims.map((p) => p.name).join(" or ")}, got ${e.prim.name}`,
    );
  }
  return e.params as P;
}

/** A closed program: consts, inputs, equations in order, outputs. */
export class Jaxpr {
  /** A jaxpr whose first `consts.length` inputs are bound to `consts`. */
  constructor(
    readonly constVars: Var[],
    readonly consts: Array[],
    readonly inBinders: Var[],
    readonly eqns: JaxprEqn[],
    readonly outs: Atom[],
  ) {}
  /** JAX's text form. */
  toString(): string {
    return printJaxpr(this);
  }
}

function paramStr(v: unknown): string {
  if (v instanceof Jaxpr) return printJaxpr(v).replaceAll("\n", "\n    ");
  if (Array_isArray(v)) {
    const sep = v.some((x) => x instanceof Jaxpr) ? "\n      " : ",";
    return `(${v.map(paramStr).join(sep)}${v.length === 1 && sep === "," ? "," : ""})`;
  }
  if (typeof v === "function") return v.name || "fn";
  if (v !== null && typeof v === "object") return "{...}";
  return String(v);
}

function Array_isArray(v: unknown): v is unknown[] {
  return globalThis.Array.isArray(v);
}

function varNamer(): (v: Var) => string {
  const names = new Map<Var, string>();
  const letters = "abcdefghijklmnopqrstuvwxyz";
  return (v) => {
    let n = names.get(v);
    if (n === undefined) {
      let i = names.size;
      n = "";
      do {
        n = letters[i % 26] + n;
        i = Math.floor(i / 26) - 1;
      } while (i >= 0);
      names.set(v, n);
    }
    return n;
  };
}

function printJaxpr(j: Jaxpr): string {
  const name = varNamer();
  const atom = (a: Atom) => (a instanceof Literal ? formatLiteral(a) : name(a));
  const decl = (v: Var) => `${name(v)}:${v.aval}`;
  const head = `{ lambda ${j.constVars.map(decl).join(" ")}; ${
    j.inBinders.map(decl).join(" ")
  }. let`;
  const lines = j.eqns.map((e) => {
    const ps = Object.entries(e.params).map(([k, v]) => `${k}=${paramStr(v)}`);
    const p = ps.length ? `[${ps.join(" ")}]` : "";
    return `    ${e.outBinders.map(decl).join(" ")} = ${e.prim.name}${p} ${
      e.inputs.map(atom).join(" ")
    }`;
  });
  const outs = j.outs.map(atom).join(", ");
  return `${head}\n${lines.join("\n")}${lines.length ? "\n" : ""}  in (${outs}${
    j.outs.length === 1 ? "," : ""
  }) }`;
}

function formatLiteral(l: Literal): string {
  const d = l.aval.dtype;
  if (d === "bool") return l.value ? "True" : "False";
  if (d === "int32") return String(l.value);
  return Number.isInteger(l.value) ? `${l.value}.0` : String(l.value);
}

/**
 * Evaluates a jaxpr by binding each equation, so it runs under whatever traces are active.
 * When no transformation is active (nothing can capture intermediates), concrete intermediates
 * are released as soon as their last use has run, so interpreting a program holds no more
 * memory than it needs (garbage collection alone may run too late). The primitives `impls`
 * names run by its rules instead of being bound: an executor's own loops, for programs it runs
 * on concrete arrays only.
 */
export function evalJaxpr(
  jaxpr: Jaxpr,
  args: Array[],
  impls: Readonly<Record<string, ImplRule>> = {},
): Array[] {
  const env = new Map<Var, Array>();
  jaxpr.constVars.forEach((v, i) => env.set(v, jaxpr.consts[i]));
  jaxpr.inBinders.forEach((v, i) => env.set(v, args[i]));
  const read = (a: Atom) => (a instanceof Literal ? a.val : env.get(a)!);
  const lastUse = new Map<Var, number>();
  jaxpr.eqns.forEach((e, i) => e.inputs.forEach((a) => a instanceof Var && lastUse.set(a, i)));
  for (const a of jaxpr.outs) if (a instanceof Var) lastUse.set(a, Infinity);
  const release = evaluatingEagerly();
  // What the caller owns: consts, arguments, and literals' arrays (captured scalars, which an
  // identity such as stop_gradient may forward as its output).
  const keep = new Set<Array>([...jaxpr.consts, ...args]);
  for (const e of jaxpr.eqns) for (const a of e.inputs) if (a instanceof Literal) keep.add(a.val);
  const holders = new Map<Array, number>();
  jaxpr.eqns.forEach((eqn, i) => {
    const own = impls[eqn.prim.name];
    const ins = eqn.inputs.map(read);
    const outs = own ? own(ins, eqn.params) : bind(eqn.prim, ins, eqn.params);
    eqn.outBinders.forEach((v, j) => {
      env.set(v, outs[j]);
      holders.set(outs[j], (holders.get(outs[j]) ?? 0) + 1);
    });
    for (const a of new Set(eqn.inputs)) {
      if (!release || !(a instanceof Var) || lastUse.get(a) !== i || !holders.has(env.get(a)!)) {
        continue;
      }
      const x = env.get(a)!;
      env.delete(a);
      const n = holders.get(x)! - 1;
      holders.set(x, n);
      if (n === 0 && !keep.has(x) && x instanceof ConcreteArray) x[Symbol.dispose]();
    }
  });
  return jaxpr.outs.map(read);
}
