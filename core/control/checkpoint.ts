/**
 * `checkpoint(f)` (JAX's `jax.checkpoint`, or remat): `f` computes as before, but reverse mode
 * stores only its inputs and recomputes its intermediates in the backward pass. The function is
 * one `checkpoint` equation (its jaxpr in the params) with the call rules (call_rules.ts), whose
 * tangent and transposed jaxprs recompute the primal from the operands. Around a `scan` body it
 * bounds what a long recurrence keeps per step to the body's inputs.
 * @module
 */
import { AdjointError } from "../errors.ts";
import { Primitive } from "../primitive.ts";
import { bind } from "../trace.ts";
import { flattenArrays } from "../transforms/flat.ts";
import { type Tree, unflatten } from "../tree.ts";
import { type CallParams, installCallRules } from "./call_rules.ts";
import { runSubJaxpr } from "./sub_programs.ts";
import { traceFun } from "./sub_jaxpr.ts";

/** The checkpoint primitive. */
export const checkpointP: Primitive<"checkpoint", CallParams> = new Primitive("checkpoint");
installCallRules(checkpointP);
checkpointP.impl = (args, params) => runSubJaxpr(params.jaxpr, args);

/** Options of `checkpoint`. */
export interface CheckpointOptions {
  /**
   * What reverse mode may keep of `f`'s intermediates: `"nothingSaveable"` (default: recompute
   * them all) or `"everythingSaveable"` (keep them all: `f` as it is).
   */
  policy?: "nothingSaveable" | "everythingSaveable";
}

/**
 * `checkpoint(f)`: `f`, recomputed in the backward pass instead of storing its intermediates
 * (less memory, one more forward computation), as JAX's `jax.checkpoint`.
 *
 * ```ts
 * import { checkpoint, grad, numpy as np } from "../../mod.ts";
 * const layer = checkpoint((x: np.Array) => np.sin(np.sin(x)));
 * grad((x: np.Array) => np.sum(layer(x)))(np.array([0.5, 1]));
 * ```
 */
export function checkpoint<F extends (...args: any[]) => any>(
  f: F,
  options: CheckpointOptions = {},
): F {
  const policy = options.policy ?? "nothingSaveable";
  if (policy !== "nothingSaveable" && policy !== "everythingSaveable") {
    throw new AdjointError(
      "checkpoint",
      `policy must be "nothingSaveable" or "everythingSaveable", got ${JSON.stringify(policy)}`,
    );
  }
  if (policy === "everythingSaveable") return f;
  return ((...args: unknown[]) => {
    const [leaves, def] = flattenArrays("checkpoint", args as Tree);
    const traced = traceFun("checkpoint", f, def, leaves.map((l) => l.aval));
    const params: CallParams = { jaxpr: traced.jaxpr, name: f.name || "fn" };
    return unflatten(traced.outDef, bind(checkpointP, [...traced.consts, ...leaves], params));
  }) as F;
}
