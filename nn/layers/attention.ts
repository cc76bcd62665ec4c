/**
 * Scaled dot-product attention (Vaswani et al. 2017): `dotProductAttention` is the function
 * (jax.nn.dot_product_attention, over `[batch, length, heads, headDim]`), `multiHeadAttention`
 * the self-attention layer with its query, key, value and output projections.
 * @module
 */
import type { Array } from "../../core/array.ts";
import { AdjointError } from "../../core/errors.ts";
import * as np from "../../numpy.ts";
import { split } from "../../random/key.ts";
import type { FloatDType } from "../../random/uniform.ts";
import { softmax } from "../activations.ts";
import type { Initializer } from "../initializers.ts";
import type { Layer } from "../layer.ts";
import { layerFactory } from "../layer_factory.ts";
import { dense, type DenseParams } from "./dense.ts";

/** Options of `dotProductAttention`. */
export interface AttentionOptions {
  /** Added to the logits, broadcasting to `[batch, heads, queryLength, keyLength]`. */
  bias?: Array;
  /** Where false, a query does not attend to a key; broadcasts as `bias`. */
  mask?: Array;
  /** Whether query `t` attends only to keys `s <= t` (default false). */
  isCausal?: boolean;
  /** Multiplies the logits (default `1 / sqrt(headDim)`). */
  scale?: number;
}

/** `[..., T, N, H]` to `[..., N, T, H]`. */
const headsFirst = (x: Array) => np.moveaxis(x, -2, -3);

/**
 * `softmax(q k^T * scale + bias, over keys) v` per head. `query` is `[B, T, N, H]` (or
 * `[T, N, H]`), `key` and `value` `[B, S, N, H]`; the result has the query's shape. Masked
 * logits get a large negative number, as JAX, so a row with every key masked averages them.
 *
 * ```ts
 * import { nn, numpy as np } from "../../mod.ts";
 * const q = np.ones([2, 5, 4, 8]);
 * nn.dotProductAttention(q, q, q, { isCausal: true }).shape; // [2, 5, 4, 8]
 * ```
 */
export function dotProductAttention(
  query: Array,
  key: Array,
  value: Array,
  options: AttentionOptions = {},
): Array {
  const op = "nn.dotProductAttention";
  const rank = query.ndim;
  const ok = (rank === 3 || rank === 4) && key.ndim === rank && value.ndim === rank &&
    key.shape.every((d, i) => d === value.shape[i]) &&
    query.shape.every((d, i) => i === rank - 3 || d === key.shape[i]);
  if (!ok) {
    throw new AdjointError(
      op,
      `expected query [B, T, N, H] and key, value [B, S, N, H] (or without B), got query ` +
        `${query.aval}, key ${key.aval}, value ${value.aval}`,
    );
  }
  const headDim = query.shape[rank - 1];
  const [t, s] = [query.shape[rank - 3], key.shape[rank - 3]];
  const scale = options.scale ?? 1 / Math.sqrt(headDim);
  // [.., N, T, H] x [.., N, H, S] -> [.., N, T, S]
  const q = headsFirst(query), k = np.moveaxis(headsFirst(key), -1, -2);
  let logits = np.multiply(np.matmul(q, k), scale);
  if (options.bias) logits = np.add(logits, options.bias);
  const masks: Array[] = options.mask ? [options.mask] : [];
  if (options.isCausal) {
    masks.push(np.greaterEqual(np.reshape(np.arange(t), [t, 1]), np.reshape(np.arange(s), [1, s])));
  }
  if (masks.length) {
    const keep = masks.reduce((a, b) => np.logicalAnd(a, b));
    const big = query.dtype === "float64" ? 1.7976931348623157e308 : 3.4028234663852886e38;
    logits = np.where(keep, logits, -0.7 * big);
  }
  const weights = softmax(logits, -1);
  return np.moveaxis(np.matmul(weights, headsFirst(value)), -3, -2);
}

/** Parameters of `multiHeadAttention`: the four projections. */
export interface MultiHeadAttentionParams {
  /** Input to queries `[D, N * H]`. */
  query: DenseParams;
  /** Input to keys `[D, N * H]`. */
  key: DenseParams;
  /** Input to values `[D, N * H]`. */
  value: DenseParams;
  /** Heads to output `[N * H, outFeatures]`. */
  out: DenseParams;
}

/** Options of `multiHeadAttention`. */
export interface MultiHeadAttentionOptions {
  /** Total query/key/value features `N * H` (default: the input features). */
  qkvFeatures?: number;
  /** Output features (default: the input features). */
  outFeatures?: number;
  /** Whether position `t` attends only to positions `s <= t` (default false). */
  causal?: boolean;
  /** Kernel initialiser of the projections (default as `dense`). */
  wInit?: Initializer;
  /** Parameter dtype (default float32). */
  dtype?: FloatDType;
}

/**
 * Multi-head self-attention over `[B, T, D]` inputs with `numHeads` heads: project to queries,
 * keys and values, attend per head (`dotProductAttention`, causally with `causal`), and project
 * the concatenated heads to the output.
 *
 * ```ts
 * import { nn, numpy as np, random } from "../../mod.ts";
 * const mha = nn.multiHeadAttention(4, { causal: true });
 * const [, params] = mha.init(random.key(0), [-1, 10, 32]);
 * mha.apply(params, np.ones([2, 10, 32])).shape; // [2, 10, 32]
 * ```
 */
export function multiHeadAttention(
  numHeads: number,
  options: MultiHeadAttentionOptions = {},
): Layer<MultiHeadAttentionParams> {
  const op = "nn.multiHeadAttention";
  if (!Number.isInteger(numHeads) || numHeads < 1) {
    throw new AdjointError(op, `expected a positive integer of heads, got ${numHeads}`);
  }
  const sizes = (inputShape: readonly number[]) => {
    if (inputShape.length !== 3) {
      throw new AdjointError(op, `expected an input [B, T, D], got shape [${inputShape}]`);
    }
    const d = inputShape[2];
    const qkv = options.qkvFeatures ?? d;
    if (!(qkv > 0) || qkv % numHeads !== 0) {
      throw new AdjointError(
        op,
        `the query/key/value features ${qkv} must be a positive multiple of ${numHeads} heads`,
      );
    }
    return { qkv, out: options.outFeatures ?? d };
  };
  const denseOptions = { wInit: options.wInit, dtype: options.dtype };
  return {
    init(key, inputShape) {
      const { qkv, out } = sizes(inputShape);
      const [kq, kk, kv, ko] = split(key, 4);
      const proj = dense(qkv, denseOptions);
      const params = {
        query: proj.init(kq, inputShape)[1],
        key: proj.init(kk, inputShape)[1],
        value: proj.init(kv, inputShape)[1],
        out: dense(out, denseOptions).init(ko, [...inputShape.slice(0, 2), qkv])[1],
      };
      return [[inputShape[0], inputShape[1], out], params];
    },
    apply(params, x) {
      const { qkv } = sizes(x.shape);
      const [b, t] = x.shape;
      const heads = (p: DenseParams) =>
        np.reshape(np.add(np.matmul(x, p.w), p.b), [b, t, numHeads, qkv / numHeads]);
      const attended = dotProductAttention(
        heads(params.query),
        heads(params.key),
        heads(params.value),
        {
          isCausal: options.causal,
        },
      );
      return np.add(np.matmul(np.reshape(attended, [b, t, qkv]), params.out.w), params.out.b);
    },
  };
}

layerFactory(multiHeadAttention, "nn.multiHeadAttention(numHeads)");
