/**
 * `custom_lin`: the tangent of a `customVjp` function. It is linear in the tangents and only
 * meaningful when transposed, where it calls the user's backward pass.
 * @module
 */
import type { Array } from "../array.ts";
import type { ShapedArray } from "../aval.ts";
import { AdjointError } from "../errors.ts";
import { Primitive, UndefPrimal } from "../primitive.ts";
import type { CustomBwdFun } from "../trace.ts";
import { bind } from "../trace.ts";
import { loopBatchRule } from "./batching.ts";
import { full as fullOf } from "./constants.ts";

/** Linear stand-in whose transpose is the user's backward pass. */
export const customLinP: Primitive = new Primitive("custom_lin");
customLinP.shape = (_, { outAvals }) => outAvals as ShapedArray[];
customLinP.impl = () => {
  throw new AdjointError(
    "customVjp",
    "forward-mode differentiation (jvp, jacfwd) of a customVjp function is not supported; " +
      "use vjp, grad or jacrev, or define the function with customJvp",
  );
};
customLinP.jvp = customLinP.impl as never;
customLinP.transpose = (cts, args, { numRes, bwd, outAvals }) => {
  const n = numRes as number;
  const residuals = args.slice(0, n) as Array[];
  if (residuals.some((r) => r instanceof UndefPrimal)) {
    throw new AdjointError("customVjp", "residuals must not depend on tangents");
  }
  const numIn = args.length - n;
  const avals = outAvals as ShapedArray[];
  const full = cts.map((c, i) => c ?? fullOf(avals[i].shape, 0, avals[i].dtype));
  const ctsIn = (bwd as CustomBwdFun)(residuals, full);
  if (ctsIn.length !== numIn) {
    throw new AdjointError(
      "customVjp",
      `backward pass returned ${ctsIn.length} cotangents, expected one per input (${numIn})`,
    );
  }
  return [...residuals.map(() => null), ...ctsIn];
};
customLinP.batch = loopBatchRule(customLinP);

/** Binds custom_lin on residuals and tangents. */
export function customLin(
  residuals: Array[],
  tangents: Array[],
  bwd: CustomBwdFun,
  outAvals: ShapedArray[],
): Array[] {
  return bind(customLinP, [...residuals, ...tangents], {
    numRes: residuals.length,
    bwd,
    outAvals,
  });
}
