/**
 * Reverse mode as JAX does it: linearize (jvp + partial evaluation) then transpose.
 * Public `jvp`, `linearize`, `vjp`, `grad` and `valueAndGrad` over pytrees.
 * @module
 */
import { Array } from "../array.ts";
import { isFloat } from "../dtype.ts";
import { AdjointError } from "../errors.ts";
import { evalJaxpr, type Jaxpr } from "../jaxpr.ts";
import { UndefPrimal } from "../primitive.ts";
import { onesLike } from "../primitives/constants.ts";
import { assertSameStructure, flatten, type Tree, type TreeDef, unflatten } from "../tree.ts";
import { flattenArrays, flattenFun, type OutStore } from "./flat.ts";
import { jvpFlat } from "./jvp.ts";
import { partialEvalFlat, PartialVal } from "./partial_eval.ts";
import { backwardPass } from "./transpose.ts";

/**
 * Linearizes a flat function at `primals`: primal outputs now, and a jaxpr mapping input
 * tangents to output tangents.
 */
export function linearizeFlat(f: (xs: Array[]) => Array[], primals: Array[]): [Array[], Jaxpr] {
  const n = primals.length;
  let nOut = 0;
  const fJvp = (xs: Array[]) => {
    const [outs, touts] = jvpFlat(f, xs.slice(0, n), xs.slice(n));
    nOut = outs.length;
    return [...outs, ...touts];
  };
  const pvals = [
    ...primals.map((p) => PartialVal.known(p)),
    ...primals.map((p) => PartialVal.unknown(p.aval)),
  ];
  const [jaxpr, pvalsOut] = partialEvalFlat(fJvp, pvals, (i) => i >= nOut);
  const primalPvals = pvalsOut.slice(0, nOut);
  if (!primalPvals.every((p) => p.isKnown)) {
    throw new AdjointError("linearize", "a primal output depends on a tangent (bad jvp rule)");
  }
  return [primalPvals.map((p) => p.value!), jaxpr];
}

/** Flat vjp: primal outputs and a function from output cotangents to input cotangents. */
export function vjpFlat(
  f: (xs: Array[]) => Array[],
  primals: Array[],
): [Array[], (cts: (Array | null)[]) => Array[]] {
  const [outs, jaxpr] = linearizeFlat(f, primals);
  const undef = primals.map((p) => new UndefPrimal(p.aval));
  return [outs, (cts) => backwardPass(jaxpr, undef, cts)];
}

function checkStructure(op: string, expected: TreeDef, given: Tree, what: string): Array[] {
  const [leaves, def] = flattenArrays(op, given);
  assertSameStructure(op, expected, def, what);
  return leaves;
}

/**
 * Forward-mode derivative: `jvp(f, primals, tangents)` returns `[f(...primals), tangentsOut]`.
 * `primals` and `tangents` are lists of arguments with matching pytree structures.
 */
export function jvp(f: (...args: any[]) => Tree, primals: Tree[], tangents: Tree[]): [Tree, Tree] {
  const [ps, def] = flattenArrays("jvp", primals);
  const ts = checkStructure("jvp", def, tangents, "primals and tangents");
  ps.forEach((p, i) => {
    if (!p.aval.equals(ts[i].aval)) {
      throw new AdjointError("jvp", `tangent ${ts[i].aval} does not match primal ${p.aval}`);
    }
  });
  const store: OutStore = {};
  const [outs, touts] = jvpFlat(flattenFun("jvp", f, def, store), ps, ts);
  return [unflatten(store.def!, outs), unflatten(store.def!, touts)];
}

/** Linearizes `f` at `primals`: `[f(...primals), fLin]` where `fLin(...tangents)` is the jvp. */
export function linearize(
  f: (...args: any[]) => Tree,
  ...primals: Tree[]
): [Tree, (...tangents: Tree[]) => Tree] {
  const [ps, def] = flattenArrays("linearize", primals);
  const store: OutStore = {};
  const [outs, jaxpr] = linearizeFlat(flattenFun("linearize", f, def, store), ps);
  const outDef = store.def!;
  return [
    unflatten(outDef, outs),
    (...tangents) =>
      unflatten(
        outDef,
        evalJaxpr(jaxpr, checkStructure("linearize", def, tangents, "primals and tangents")),
      ),
  ];
}

/**
 * Reverse-mode derivative: `[f(...primals), vjpFn]`, where `vjpFn(ct)` returns the cotangents of
 * all arguments as a list, for an output cotangent `ct` shaped like the output.
 */
export function vjp(
  f: (...args: any[]) => Tree,
  ...primals: Tree[]
): [Tree, (ct: Tree) => Tree[]] {
  const [ps, def] = flattenArrays("vjp", primals);
  const store: OutStore = {};
  const [outs, vjpFn] = vjpFlat(flattenFun("vjp", f, def, store), ps);
  const outDef = store.def!;
  return [
    unflatten(outDef, outs),
    (ct) =>
      unflatten(def, vjpFn(checkStructure("vjp", outDef, ct, "output and cotangent"))) as Tree[],
  ];
}

/** Options of `grad` and `valueAndGrad`. */
export interface GradOptions {
  /** Which positional arguments to differentiate (default 0); a list gives a list of gradients. */
  argnums?: number | number[];
  /** Whether `f` returns `[loss, aux]`; aux is returned alongside, not differentiated. */
  hasAux?: boolean;
}

/**
 * `valueAndGrad(f)(...args)` returns `[f(...args), gradient]` for a scalar-valued `f`
 * (with `hasAux`: `[[loss, aux], gradient]`).
 */
export function valueAndGrad(
  f: (...args: any[]) => any,
  options: GradOptions = {},
): (...args: any[]) => [any, any] {
  const { argnums = 0, hasAux = false } = options;
  const nums = typeof argnums === "number" ? [argnums] : argnums;
  return (...args: unknown[]) => {
    for (const n of nums) {
      if (!Number.isInteger(n) || n < 0 || n >= args.length) {
        throw new AdjointError(
          "grad",
          `argnums ${n} is out of range for a function called with ${args.length} argument(s)`,
        );
      }
    }
    const [leaves, def] = flattenArrays("grad", nums.map((n) => args[n]) as Tree);
    leaves.forEach((l) => {
      if (!isFloat(l.dtype)) {
        throw new AdjointError(
          "grad",
          `differentiated arguments must be float32 or float64, got ${l.aval}; ` +
            `pass integer inputs through an argument not in argnums`,
        );
      }
    });
    let auxLeaves: unknown[] = [];
    let auxDef: TreeDef | undefined;
    const fFlat = (xs: Array[]) => {
      const diff = unflatten(def, xs) as unknown[];
      const callArgs = [...args];
      nums.forEach((n, k) => (callArgs[n] = diff[k]));
      let out = f(...callArgs);
      if (hasAux) {
        if (!globalThis.Array.isArray(out) || out.length !== 2) {
          throw new AdjointError("grad", "with hasAux, the function must return [loss, aux]");
        }
        [auxLeaves, auxDef] = flatten(out[1]);
        out = out[0];
      }
      if (!(out instanceof Array) || out.ndim !== 0 || !isFloat(out.dtype)) {
        throw new AdjointError(
          "grad",
          `the function must return a float scalar (shape []), got ${
            out instanceof Array ? out.aval : typeof out
          }; use vjp or jacrev for non-scalar outputs`,
        );
      }
      return [out, ...auxLeaves.filter((l): l is Array => l instanceof Array)];
    };
    const [outs, vjpFn] = vjpFlat(fFlat, leaves);
    const grads = unflatten(
      def,
      vjpFn([onesLike(outs[0]), ...outs.slice(1).map(() => null)]),
    ) as unknown[];
    const g = typeof argnums === "number" ? grads[0] : grads;
    if (!hasAux) return [outs[0], g];
    let k = 1;
    const aux = unflatten(auxDef!, auxLeaves.map((l) => (l instanceof Array ? outs[k++] : l)));
    return [[outs[0], aux], g];
  };
}

/** The gradient of a scalar-valued function (with `hasAux`: `[gradient, aux]`). */
export function grad(
  f: (...args: any[]) => any,
  options: GradOptions = {},
): (...args: any[]) => any {
  const vg = valueAndGrad(f, options);
  return (...args) => {
    const [value, g] = vg(...args);
    return options.hasAux ? [g, value[1]] : g;
  };
}
