/**
 * `multivariateNormal`: samples of `N(mean, cov)` as `mean + A z` for standard normal `z` and a
 * factor `A` with `A A^T = cov` (Cholesky, or from `eigh` or `svd` of `cov`), as JAX's
 * `random.multivariate_normal`. Differentiable with respect to `mean` and `cov` through the
 * factorisation (the reparametrisation trick).
 * @module
 */
import type { Array } from "../core/array.ts";
import { isFloat } from "../core/dtype.ts";
import { AdjointError } from "../core/errors.ts";
import { checkOptions } from "../core/options.ts";
import { shapeStr } from "../core/shape.ts";
import * as np from "../numpy.ts";
import type { ArrayInput } from "../numpy/convert.ts";
import { resultDType } from "../numpy/promotion.ts";
import { checkFloatDType } from "./floats.ts";
import { normal } from "./normal.ts";
import { broadcastSampleShape } from "./sample_shape.ts";
import type { FloatDType } from "./uniform.ts";

/** How the covariance is factored: JAX's `method`. */
export type CovarianceFactorization = "cholesky" | "eigh" | "svd";

/** Options of `multivariateNormal`: JAX's keywords `shape`, `dtype` and `method`. */
export interface MultivariateNormalOptions {
  /** The batch shape of the samples, without the last axis (default: `mean`'s and `cov`'s broadcast batch shape). */
  shape?: readonly number[];
  /** float32 or float64 (default: the float dtype `mean` and `cov` promote to). */
  dtype?: FloatDType;
  /** `"cholesky"` (default), or `"eigh"` / `"svd"`, which accept positive semidefinite `cov`. */
  method?: CovarianceFactorization;
}

/** `A` with `A A^T = cov` for each matrix of `cov`, by `method`. */
const FACTORS: Record<CovarianceFactorization, (cov: Array) => Array> = {
  cholesky: (cov) => np.linalg.cholesky(cov),
  eigh: (cov) => {
    const [w, v] = np.linalg.eigh(cov);
    return np.multiply(v, np.expandDims(np.sqrt(w), -2));
  },
  svd: (cov) => {
    const [u, s] = np.linalg.svd(cov);
    return np.multiply(u, np.expandDims(np.sqrt(s), -2));
  },
};

/** Checks that `mean` is `[..., n]` and `cov` `[..., n, n]`; returns `n`. */
function eventSize(op: string, mean: Array, cov: Array): number {
  if (mean.ndim < 1) {
    throw new AdjointError(op, `expected mean of shape [..., n], got a scalar ${mean.aval}`);
  }
  const n = mean.shape[mean.ndim - 1];
  const square = cov.shape.slice(-2);
  if (cov.ndim < 2 || square[0] !== n || square[1] !== n) {
    throw new AdjointError(
      op,
      `expected cov of shape [..., ${n}, ${n}] for mean of shape ${shapeStr(mean.shape)}, ` +
        `got ${shapeStr(cov.shape)}`,
    );
  }
  return n;
}

/**
 * Samples of the multivariate normal distribution with mean `mean` (`[..., n]`) and covariance
 * `cov` (`[..., n, n]`, symmetric positive definite; semidefinite with `method` `"eigh"` or
 * `"svd"`), of shape `[...shape, n]`. The batch axes of `mean` and `cov` broadcast to `shape`.
 *
 * ```ts
 * import { random } from "../mod.ts";
 * const cov = [[2, 0.5], [0.5, 1]];
 * random.multivariateNormal(random.key(0), [0, 1], cov, { shape: [1000] }).shape; // [1000, 2]
 * ```
 */
export function multivariateNormal(
  key: Array,
  mean: ArrayInput,
  cov: ArrayInput,
  options: MultivariateNormalOptions = {},
): Array {
  const op = "random.multivariateNormal";
  checkOptions(op, options, ["shape", "dtype", "method"]);
  const m = np.asArray(mean), c = np.asArray(cov);
  const promoted = resultDType([m, c]);
  const dtype = checkFloatDType(op, options.dtype ?? (isFloat(promoted) ? promoted : "float32"));
  const method = options.method ?? "cholesky";
  if (!Object.hasOwn(FACTORS, method)) {
    throw new AdjointError(
      op,
      `method must be one of ${Object.keys(FACTORS).join(", ")}, got ${JSON.stringify(method)}`,
    );
  }
  const n = eventSize(op, m, c);
  const shape = broadcastSampleShape(op, options.shape, [
    m.shape.slice(0, -1),
    c.shape.slice(0, -2),
  ]);
  const factor = FACTORS[method](np.astype(c, dtype));
  const z = normal(key, [...shape, n, 1], { dtype });
  return np.add(np.astype(m, dtype), np.squeeze(np.matmul(factor, z), -1));
}
