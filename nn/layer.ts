/**
 * Layers as in stax: a layer is a pair of pure functions. `init(key, inputShape)` returns the
 * output shape and freshly initialised parameters (a pytree); `apply(params, x, options)` runs
 * the layer. No classes hold state, so parameters go straight into `grad`, `jit` and optimisers.
 *
 * Shapes include the batch axis, which may be given as -1 (unknown) at init time.
 * @module
 */
import type { Array } from "../core/array.ts";
import { AdjointError } from "../core/errors.ts";
import type { Tree } from "../core/tree.ts";

/** Per-call options of `apply`: randomness and the training flag (dropout, noise). */
export interface ApplyOptions {
  /** Key for stochastic layers; needed only when `training` is true. */
  key?: Array;
  /** Whether stochastic layers are active (default false: inference). */
  training?: boolean;
}

/** The shape of a layer's input or output: one shape for an array, a list for a list of arrays. */
export type ShapeOf<X> = X extends Array[] ? number[][] : number[];

/** A layer: parameter initialisation and application, as pure functions. */
export interface Layer<P = Tree, X = Array, Y = Array> {
  /** Output shape and initial parameters for inputs of `inputShape`. */
  init(key: Array, inputShape: ShapeOf<X>): [ShapeOf<Y>, P];
  /** The layer's output for input `x`. */
  apply(params: P, x: X, options?: ApplyOptions): Y;
}

/** What combinators accept: a layer, or a plain shape-preserving function such as `relu`. */
export type LayerLike = Layer<any, any, any> | ((x: Array) => Array);

/**
 * A parameter-free layer applying a shape-preserving function (activations such as `relu`,
 * `softmax`). Combinators wrap plain functions with it automatically.
 */
export function activation(fn: (x: Array) => Array): Layer<null> {
  return {
    init: (_key, inputShape) => [inputShape, null],
    apply: (_params, x) => fn(x),
  };
}

/** The layer behind a `LayerLike`. */
export function asLayer(layer: LayerLike): Layer<any, any, any> {
  return typeof layer === "function" ? activation(layer) : layer;
}

/** The key of a stochastic layer in training mode, or an error saying how to pass one. */
export function trainingKey(op: string, options: ApplyOptions | undefined): Array {
  if (!options?.key) {
    throw new AdjointError(
      op,
      "training mode needs a PRNG key: apply(params, x, { key, training: true })",
    );
  }
  return options.key;
}

/** Checks that an input shape has the expected rank. */
export function checkRank(op: string, shape: readonly number[], rank: number, what: string): void {
  if (shape.length !== rank) {
    throw new AdjointError(
      op,
      `expected a rank-${rank} input ${what}, got shape [${shape.join(", ")}]`,
    );
  }
}
