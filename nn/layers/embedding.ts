/**
 * Embedding: a learned table of `features`-long vectors looked up by integer index (PyTorch's
 * `nn.Embedding`, flax's `Embed`).
 * @module
 */
import type { Array } from "../../core/array.ts";
import { isFloat } from "../../core/dtype.ts";
import { AdjointError } from "../../core/errors.ts";
import * as np from "../../numpy.ts";
import type { FloatDType } from "../../random/uniform.ts";
import { type Initializer, normal } from "../initializers.ts";
import type { Layer } from "../layer.ts";
import { layerFactory } from "../layer_factory.ts";

/** Parameters of `embedding`: the table `[numEmbeddings, features]`. */
export interface EmbeddingParams {
  /** Row `i` is the vector of index `i`. */
  table: Array;
}

/** Options of `embedding`. */
export interface EmbeddingOptions {
  /** Table initialiser (default standard normal, as PyTorch). */
  init?: Initializer;
  /** Parameter dtype (default float32). */
  dtype?: FloatDType;
}

/**
 * An embedding of `numEmbeddings` indices into `features` dimensions: integer input of any
 * shape `S` gives `[...S, features]`. Out-of-range indices follow `np.take` (as JAX's, no error).
 *
 * ```ts
 * import { nn, numpy as np, random } from "../../mod.ts";
 * const embed = nn.embedding(100, 16);
 * const [, params] = embed.init(random.key(0), [-1, 10]); // output shape [-1, 10, 16]
 * embed.apply(params, np.array([[1, 2, 3]])).shape; // [1, 3, 16]
 * ```
 */
export function embedding(
  numEmbeddings: number,
  features: number,
  options: EmbeddingOptions = {},
): Layer<EmbeddingParams> {
  for (const [what, n] of [["numEmbeddings", numEmbeddings], ["features", features]] as const) {
    if (!Number.isInteger(n) || n < 1) {
      throw new AdjointError("nn.embedding", `expected a positive integer ${what}, got ${n}`);
    }
  }
  return {
    init(key, inputShape) {
      const init = options.init ?? normal(1);
      const table = init(key, [numEmbeddings, features], { dtype: options.dtype, inAxis: 0 });
      return [[...inputShape, features], { table }];
    },
    apply(params, x) {
      if (isFloat(x.dtype)) {
        throw new AdjointError(
          "nn.embedding",
          `expected integer indices, got ${x.aval}; convert them with np.astype(x, "int32")`,
        );
      }
      return np.take(params.table, x, 0);
    },
  };
}

layerFactory(embedding, "nn.embedding(numEmbeddings, features)");
