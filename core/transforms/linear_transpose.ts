/**
 * `linearTranspose` (jax.linear_transpose): the transpose of a linear function, by tracing it to
 * a jaxpr and running the same backward pass as reverse mode.
 * @module
 */
import { AdjointError } from "../errors.ts";
import { UndefPrimal } from "../primitive.ts";
import { assertSameStructure, flatten, type Tree, type TreeDef, unflatten } from "../tree.ts";
import { flattenArrays } from "./flat.ts";
import { leafAval, makeJaxprFlat } from "./make_jaxpr.ts";
import { backwardPass } from "./transpose.ts";

/**
 * For a function `f` linear in all its arguments, `linearTranspose(f, ...primals)` returns
 * `fT` with `fT(ct)` the list of cotangents of the arguments: `<fT(ct), x> = <ct, f(x)>`.
 * `primals` (arrays or `ShapedArray`s) give only the argument types; `ct` has the structure,
 * shapes and dtypes of `f`'s output. A nonlinear `f` throws when transposed.
 *
 * ```ts
 * import { linearTranspose, numpy as np } from "../../mod.ts";
 * const fT = linearTranspose((x: np.Array) => np.sum(x.mul(2)), np.zeros([3]));
 * fT(np.array(1, "float32")); // [[2, 2, 2]]
 * ```
 */
export function linearTranspose(
  f: (...args: any[]) => any,
  ...primals: unknown[]
): (ct: Tree) => Tree[] {
  const [leaves, inDef] = flatten(primals as Tree);
  const inAvals = leaves.map((l) => leafAval("linearTranspose", l));
  let outDef: TreeDef | undefined;
  const jaxpr = makeJaxprFlat((xs) => {
    const [outs, d] = flattenArrays("linearTranspose", f(...(unflatten(inDef, xs) as unknown[])));
    outDef = d;
    return outs;
  }, inAvals);
  const outAvals = jaxpr.outs.map((o) => o.aval);
  return (ct) => {
    const [cts, ctDef] = flattenArrays("linearTranspose", ct);
    assertSameStructure("linearTranspose", outDef!, ctDef, "output and cotangent");
    cts.forEach((c, i) => {
      if (!c.aval.equals(outAvals[i])) {
        throw new AdjointError(
          "linearTranspose",
          `cotangent ${c.aval} does not match output ${outAvals[i]}`,
        );
      }
    });
    const undef = inAvals.map((a) => new UndefPrimal(a));
    return unflatten(inDef, backwardPass(jaxpr, undef, cts)) as Tree[];
  };
}
