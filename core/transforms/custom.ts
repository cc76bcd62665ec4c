/**
 * User-defined derivatives. `customJvp(f, jvp)` gives `f` a forward-mode rule (reverse mode
 * follows by transposition); `customVjp(f, fwd, bwd)` gives it a reverse-mode rule.
 * Use them for numerically stable derivatives (logsumexp, softplus) or to cut a derivative short.
 * @module
 */
import type { Array } from "../array.ts";
import { AdjointError } from "../errors.ts";
import { bindCustomJvp, bindCustomVjp } from "../trace.ts";
import { type Tree, type TreeDef, unflatten } from "../tree.ts";
import { flattenArrays, leafToArray } from "./flat.ts";

/** What a custom-derivative function returns: one array or a list of arrays. */
export type CustomOut = Array | Array[];

function asList(out: CustomOut): Array[] {
  return globalThis.Array.isArray(out) ? out : [out];
}

function checkTangents(op: string, outs: Array[], touts: Array[]): void {
  if (outs.length !== touts.length || outs.some((o, i) => !o.aval.equals(touts[i].aval))) {
    throw new AdjointError(
      op,
      `tangent outputs (${touts.map((t) => t.aval).join(", ")}) must match the primal outputs ` +
        `(${outs.map((o) => o.aval).join(", ")})`,
    );
  }
}

/**
 * Gives `f` (arrays in, an array or list of arrays out) a custom jvp rule:
 * `jvp(primals, tangents)` returns `[outputs, outputTangents]` with the same structure as `f`'s output.
 */
export function customJvp<A extends Array[]>(
  f: (...args: A) => CustomOut,
  jvp: (primals: A, tangents: A) => [CustomOut, CustomOut],
): (...args: (Array | number)[]) => any {
  return (...args) => {
    const xs = args.map((a) => leafToArray("customJvp", a));
    let single = false;
    const fun = (ys: Array[]) => {
      const o = f(...(ys as A));
      single = !globalThis.Array.isArray(o);
      return asList(o);
    };
    const rule = (ps: Array[], ts: Array[]): [Array[], Array[]] => {
      const [o, t] = jvp(ps as A, ts as A);
      single = !globalThis.Array.isArray(o);
      const outs = asList(o), touts = asList(t);
      checkTangents("customJvp", outs, touts);
      return [outs, touts];
    };
    const outs = bindCustomJvp(fun, rule, xs);
    return single ? outs[0] : outs;
  };
}

/**
 * Gives `f` a custom reverse-mode rule: `fwd(...args)` returns `[output, residuals]` (residuals any
 * pytree of arrays), and `bwd(residuals, outputCotangent)` returns one cotangent per argument.
 */
export function customVjp<A extends Array[]>(
  f: (...args: A) => CustomOut,
  fwd: (...args: A) => [CustomOut, Tree<Array>],
  bwd: (residuals: any, ct: any) => Array[],
): (...args: (Array | number)[]) => any {
  return (...args) => {
    const xs = args.map((a) => leafToArray("customVjp", a));
    let single = false;
    let resDef: TreeDef | undefined;
    const fun = (ys: Array[]) => {
      const o = f(...(ys as A));
      single = !globalThis.Array.isArray(o);
      return asList(o);
    };
    const fwdFlat = (ys: Array[]): [Array[], Array[]] => {
      const [o, res] = fwd(...(ys as A));
      single = !globalThis.Array.isArray(o);
      const [leaves, def] = flattenArrays("customVjp", res);
      resDef = def;
      return [asList(o), leaves];
    };
    const bwdFlat = (res: Array[], cts: Array[]): Array[] => {
      const ctsIn = bwd(unflatten(resDef!, res), single ? cts[0] : cts);
      if (!globalThis.Array.isArray(ctsIn) || ctsIn.length !== xs.length) {
        throw new AdjointError(
          "customVjp",
          `the backward pass must return a list of ${xs.length} cotangent(s), one per argument`,
        );
      }
      return ctsIn.map((c, i) => {
        const a = leafToArray("customVjp", c);
        if (!a.aval.equals(xs[i].aval)) {
          throw new AdjointError(
            "customVjp",
            `cotangent ${i} has type ${a.aval}, expected ${xs[i].aval} (the argument's type)`,
          );
        }
        return a;
      });
    };
    const outs = bindCustomVjp(fun, fwdFlat, bwdFlat, xs);
    return single ? outs[0] : outs;
  };
}
