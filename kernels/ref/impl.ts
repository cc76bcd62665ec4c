/**
 * The reference backend's kernel type: a pure function from input typed arrays to output typed
 * arrays, given the avals and params of the application.
 * @module
 */
import type { ShapedArray } from "../../core/aval.ts";
import type { TypedArray } from "../../core/dtype.ts";
import type { Params } from "../../core/primitive.ts";
import type { KernelPrimitiveName } from "../../core/primitives/registry.ts";
import type { ParamsOf } from "../rule_table.ts";

/** One primitive's reference implementation, given params of type `P`. */
export type RefImpl<P extends Params = Params> = (
  inputs: TypedArray[],
  inAvals: ShapedArray[],
  params: P,
  outAvals: ShapedArray[],
) => TypedArray[];

/** The reference kernel of every kernel primitive: the oracle has no fallbacks or refusals. */
export type RefKernelTable = { readonly [N in KernelPrimitiveName]: RefImpl<ParamsOf<N>> };
