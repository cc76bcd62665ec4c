/**
 * Layers as in stax: a layer is a pair of pure functions. `init(key, inputShape)` returns the
 * output shape and freshly initialised parameters (a pytree); `apply(params, x, options)` runs
 * the layer. No classes hold state, so parameters go straight into `grad`, `jit` and optimisers.
 *
 * Shapes include the batch axis, which may be given as -1 (unknown) at init time.
 * @module
 */
import { Array } from "../core/array.ts";
import { describeValue } from "../core/describe.ts";
import { AdjointError } from "../core/errors.ts";
import type { Tree } from "../core/tree.ts";
import { factoryCall } from "./layer_factory.ts";

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
    apply: (_params, x) => {
      const y = fn(x);
      if (!(y instanceof Array)) {
        throw new AdjointError(
          "nn.activation",
          `${describeValue(fn)}, used as a layer, returned ${describeValue(y)} instead of an ` +
            `array; if it builds a layer, call it where the layer is listed, e.g. ` +
            `nn.serial(${fn.name || "makeLayer"}(...))`,
        );
      }
      return y;
    },
  };
}

/**
 * The layer behind a `LayerLike`; `op` and `what` (e.g. `nn.serial`, `layer 0`) name it in the
 * error raised for a layer factory left uncalled or for something that is not a layer.
 */
export function asLayer(
  layer: LayerLike,
  op = "nn.asLayer",
  what = "the layer",
): Layer<any, any, any> {
  const call = factoryCall(layer);
  if (call) {
    throw new AdjointError(
      op,
      `${what} is ${describeValue(layer)}, which builds a layer rather than being one: call it, ` +
        call,
    );
  }
  if (typeof layer === "function") return activation(layer);
  const candidate = layer as Partial<Layer> | null | undefined;
  if (typeof candidate?.init !== "function" || typeof candidate?.apply !== "function") {
    throw new AdjointError(
      op,
      `${what} is ${describeValue(layer)}; expected a layer { init, apply } such as ` +
        `nn.dense(10), or a shape-preserving function such as nn.relu`,
    );
  }
  return layer as Layer<any, any, any>;
}
