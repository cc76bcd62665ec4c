/**
 * Primitives: the small set of operations everything lowers to. Each primitive is one object that
 * carries its rules (shape/dtype, jvp, transpose, batching), defined next to it in
 * core/primitives/, as JAX's lax.py does. Transformations are generic interpreters that look
 * rules up here.
 * @module
 */
import type { Array } from "./array.ts";
import type { ShapedArray } from "./aval.ts";

/** Static parameters of a primitive application (axes, shapes, dtypes...). */
export type Params = Record<string, unknown>;

/** A linear input whose value is not known, only its type; used when transposing. */
export class UndefPrimal {
  /** Marks an undefined linear input of the given type. */
  constructor(readonly aval: ShapedArray) {}
}

/** Computes output avals from input avals, validating shapes and dtypes. */
export type ShapeRule = (avals: ShapedArray[], params: Params) => ShapedArray[];
/**
 * Forward-mode rule: primal outputs and their tangents. A `null` tangent is a symbolic zero,
 * both in the rule's input (some inputs have none) and output.
 */
export type JvpRule = (
  primals: Array[],
  tangents: (Array | null)[],
  params: Params,
) => [Array[], (Array | null)[]];
/** Transpose of a linear primitive: cotangents of the linear (`UndefPrimal`) inputs. */
export type TransposeRule = (
  cts: (Array | null)[],
  args: (Array | UndefPrimal)[],
  params: Params,
) => (Array | null)[];
/** Batching rule: applies the primitive to inputs with batch axes `dims` (`null`: unbatched). */
export type BatchRule = (
  axisSize: number,
  args: Array[],
  dims: (number | null)[],
  params: Params,
) => [Array[], (number | null)[]];
/**
 * What partial evaluation stages for a primitive with some unknown inputs: an equation whose
 * inputs are rule inputs (by index, unknown or not) or known values the rule computed (residuals).
 */
export interface StagedEqn {
  /** The staged primitive. */
  prim: Primitive;
  /** Its inputs: the index of one of the rule's inputs, or a known value. */
  inputs: (number | Array)[];
  /** Its params. */
  params: Params;
}
/**
 * Partial evaluation rule, for primitives that can compute part of their result from the known
 * inputs (`null`: unknown): the outputs known now (`null` where unknown) and the equation that
 * computes the unknown ones, in order. Without a rule, any unknown input stages the whole
 * primitive.
 */
export type PartialEvalRule = (
  known: (Array | null)[],
  avals: ShapedArray[],
  params: Params,
) => { known: (Array | null)[]; staged: StagedEqn };
/** An implementation in terms of other operations, used instead of a backend kernel. */
export type ImplRule = (args: Array[], params: Params) => Array[];

/** A primitive operation and its rules. */
export class Primitive {
  /** Shape and dtype rule (required). */
  shape!: ShapeRule;
  /** Forward-mode differentiation rule. */
  jvp?: JvpRule;
  /** Transpose rule, for primitives linear in some inputs. */
  transpose?: TransposeRule;
  /** Batching rule; primitives without one are batched by looping over the batch. */
  batch?: BatchRule;
  /** Partial evaluation rule; without one, an unknown input stages the whole primitive. */
  partialEval?: PartialEvalRule;
  /** Composite implementation; primitives without one run as backend kernels. */
  impl?: ImplRule;
  /** Creates a primitive named as in jaxprs (`sin`, `reduce_sum`, ...). */
  constructor(readonly name: string) {}
}
