/**
 * Combinators that build networks from layers, as stax does: `serial` chains layers, `parallel`
 * applies layers to the items of a list, and `fanOut` / `fanInSum` / `fanInConcat` split and
 * merge branches (e.g. a residual block is `serial(fanOut(2), parallel(block, identity),
 * fanInSum)`). Parameters of a combination are the list of its layers' parameters, and its key
 * is split so that each layer gets its own.
 * @module
 */
import type { Array } from "../core/array.ts";
import { AdjointError } from "../core/errors.ts";
import type { Tree } from "../core/tree.ts";
import * as np from "../numpy.ts";
import { split } from "../random/key.ts";
import { type ApplyOptions, asLayer, type Layer, type LayerLike } from "./layer.ts";
import { layerFactory } from "./layer_factory.ts";

/** One options object per layer, each with its own key when a key was given. */
function perLayer(options: ApplyOptions | undefined, n: number): (ApplyOptions | undefined)[] {
  if (!options?.key) return new globalThis.Array(n).fill(options);
  return split(options.key, n).map((key) => ({ ...options, key }));
}

/**
 * Layers applied one after another. Plain functions are shape-preserving activations.
 *
 * ```ts
 * import { nn, random, numpy as np } from "../mod.ts";
 * const net = nn.serial(nn.dense(16), nn.relu, nn.dense(3));
 * const [outShape, params] = net.init(random.key(0), [-1, 2]); // outShape [-1, 3]
 * net.apply(params, np.ones([5, 2])).shape; // [5, 3]
 * ```
 */
export function serial<X = Array, Y = Array>(...layers: LayerLike[]): Layer<Tree[], X, Y> {
  const ls = layers.map((l, i) => asLayer(l, "nn.serial", `layer ${i}`));
  return {
    init(key, inputShape) {
      const keys = split(key, ls.length);
      let shape: unknown = inputShape;
      const params = ls.map((l, i) => {
        const [out, p] = l.init(keys[i], shape as number[]);
        shape = out;
        return p;
      });
      return [shape as never, params];
    },
    apply(params, x, options) {
      const opts = perLayer(options, ls.length);
      let h: unknown = x;
      ls.forEach((l, i) => (h = l.apply(params[i], h, opts[i])));
      return h as Y;
    },
  };
}

/** Applies layer `i` to item `i` of a list input, giving a list output. */
export function parallel(...layers: LayerLike[]): Layer<Tree[], Array[], Array[]> {
  const ls = layers.map((l, i) => asLayer(l, "nn.parallel", `layer ${i}`));
  const check = (n: number) => {
    if (n !== ls.length) {
      throw new AdjointError(
        "nn.parallel",
        `expected a list of ${ls.length} inputs (one per layer), got ${n}`,
      );
    }
  };
  return {
    init(key, inputShapes) {
      check(inputShapes.length);
      const keys = split(key, ls.length);
      const outs = ls.map((l, i) => l.init(keys[i], inputShapes[i]));
      return [outs.map((o) => o[0] as number[]), outs.map((o) => o[1])];
    },
    apply(params, xs, options) {
      check(xs.length);
      const opts = perLayer(options, ls.length);
      return ls.map((l, i) => l.apply(params[i], xs[i], opts[i]));
    },
  };
}

/** Copies its input into a list of `n` branches. */
export function fanOut(n: number): Layer<null, Array, Array[]> {
  return {
    init: (_key, inputShape) => [new globalThis.Array(n).fill(inputShape), null],
    apply: (_params, x) => new globalThis.Array(n).fill(x),
  };
}

/** Sums a list of equally shaped branches. */
export function fanInSum(): Layer<null, Array[], Array> {
  return {
    init: (_key, inputShapes) => [inputShapes[0], null],
    apply: (_params, xs) => xs.reduce((a, b) => np.add(a, b)),
  };
}

/** Concatenates a list of branches along `axis` (default -1, the feature axis). */
export function fanInConcat(axis = -1): Layer<null, Array[], Array> {
  return {
    init(_key, inputShapes) {
      const rank = inputShapes[0].length;
      const ax = axis < 0 ? axis + rank : axis;
      const out = [...inputShapes[0]];
      out[ax] = inputShapes.reduce((n, s) => n + s[ax], 0);
      return [out, null];
    },
    apply: (_params, xs) => np.concatenate(xs, axis),
  };
}

layerFactory(serial, "nn.serial(...layers)");
layerFactory(parallel, "nn.parallel(...layers)");
layerFactory(fanOut, "nn.fanOut(n)");
layerFactory(fanInSum, "nn.fanInSum()");
layerFactory(fanInConcat, "nn.fanInConcat()");
