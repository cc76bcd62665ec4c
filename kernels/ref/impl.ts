/**
 * The reference backend's kernel type: a pure function from input typed arrays to output typed
 * arrays, given the avals and params of the application.
 * @module
 */
import type { ShapedArray } from "../../core/aval.ts";
import type { TypedArray } from "../../core/dtype.ts";
import type { Params } from "../../core/primitive.ts";

/** One primitive's reference implementation. */
export type RefImpl = (
  inputs: TypedArray[],
  inAvals: ShapedArray[],
  params: Params,
  outAvals: ShapedArray[],
) => TypedArray[];
