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
/** The params of a primitive that takes none. */
export type NoParams = Record<string, never>;

/** A linear input whose value is not known, only its type; used when transposing. */
export class UndefPrimal {
  /** Marks an undefined linear input of the given type. */
  constructor(readonly aval: ShapedArray) {}
}

// Rule types are written as methods so that they are bivariant in their params: a primitive with
// typed params is still a `Primitive` for the interpreters, which pass any equation's params.

/** Computes output avals from input avals, validating shapes and dtypes. */
export type ShapeRule<P extends Params = Params> = {
  rule(avals: ShapedArray[], params: P): ShapedArray[];
}["rule"];
/**
 * Forward-mode rule: primal outputs and their tangents. A `null` tangent is a symbolic zero,
 * both in the rule's input (some inputs have none) and output.
 */
export type JvpRule<P extends Params = Params> = {
  rule(primals: Array[], tangents: (Array | null)[], params: P): [Array[], (Array | null)[]];
}["rule"];
/** Transpose of a linear primitive: cotangents of the linear (`UndefPrimal`) inputs. */
export type TransposeRule<P extends Params = Params> = {
  rule(cts: (Array | null)[], args: (Array | UndefPrimal)[], params: P): (Array | null)[];
}["rule"];
/** Batching rule: applies the primitive to inputs with batch axes `dims` (`null`: unbatched). */
export type BatchRule<P extends Params = Params> = {
  rule(
    axisSize: number,
    args: Array[],
    dims: (number | null)[],
    params: P,
  ): [Array[], (number | null)[]];
}["rule"];
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
export type PartialEvalRule<P extends Params = Params> = {
  rule(
    known: (Array | null)[],
    avals: ShapedArray[],
    params: P,
  ): { known: (Array | null)[]; staged: StagedEqn };
}["rule"];
/** An implementation in terms of other operations, used instead of a backend kernel. */
export type ImplRule<P extends Params = Params> = {
  rule(args: Array[], params: P): Array[];
}["rule"];

/**
 * What the compiler and the simplifier may assume of a primitive, stated once on it rather than
 * in name lists where it is used. Every property defaults to false.
 */
export interface PrimitiveProperties {
  /**
   * Output element `i` depends only on element `i` of each operand (of one shape), and the
   * compiled backends fuse it into elementwise loops.
   */
  readonly elementwise?: boolean;
  /** Its two operands can be swapped without changing the result (CSE treats both as one). */
  readonly commutative?: boolean;
  /** Its output is larger than its inputs, so constant folding it would bloat constants. */
  readonly expanding?: boolean;
  /** A reduction that may end a fused elementwise loop. */
  readonly fusibleReduction?: boolean;
  /** Its scalar form calls a math function, tens of times an add's cost per element. */
  readonly mathCall?: boolean;
}

/**
 * A primitive operation named `N` (as in jaxprs) with params `P`, its properties and its rules.
 *
 * ```ts
 * import { Primitive } from "./primitive.ts";
 * const twiceP = new Primitive<"twice", { times: number }>("twice", { elementwise: true });
 * twiceP.shape = ([x], { times }) => (times > 0 ? [x] : []);
 * ```
 */
export class Primitive<N extends string = string, P extends Params = Params> {
  /** Shape and dtype rule (required). */
  shape!: ShapeRule<P>;
  /** Forward-mode differentiation rule. */
  jvp?: JvpRule<P>;
  /** Transpose rule, for primitives linear in some inputs. */
  transpose?: TransposeRule<P>;
  /** Batching rule; primitives without one are batched by looping over the batch. */
  batch?: BatchRule<P>;
  /** Partial evaluation rule; without one, an unknown input stages the whole primitive. */
  partialEval?: PartialEvalRule<P>;
  /** Composite implementation; primitives without one run as backend kernels. */
  impl?: ImplRule<P>;
  /** Creates a primitive named as in jaxprs (`sin`, `reduce_sum`, ...), with its properties. */
  constructor(readonly name: N, readonly properties: PrimitiveProperties = {}) {}
}
