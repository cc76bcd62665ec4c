/**
 * Gamma samples by Marsaglia and Tsang's method (2000), and the distributions built on them:
 * beta (`G_a / (G_a + G_b)`) and Dirichlet (normalised gammas), computed in log space so that
 * small shape parameters do not underflow to 0/0.
 *
 * Marsaglia-Tsang accepts a candidate with probability above 0.95 for `a >= 1` (smaller `a`
 * draw `a + 1` and multiply by `u^(1/a)`). With no loop primitive to reject in, each sample
 * draws `CANDIDATES` candidates at once and keeps the first accepted: all 12 fail with
 * probability below `0.049^12 ~ 2e-16`, far under what float64 can resolve. Samples are not
 * differentiated with respect to the shape parameters (their gradient is zero).
 * @module
 */
import { Array } from "../core/array.ts";
import { describeValue } from "../core/describe.ts";
import { AdjointError } from "../core/errors.ts";
import { checkOptions } from "../core/options.ts";
import * as np from "../numpy.ts";
import { checkFloatDType } from "./floats.ts";
import { split } from "./key.ts";
import { normal } from "./normal.ts";
import { broadcastSampleShape } from "./sample_shape.ts";
import { type FloatDType, uniform } from "./uniform.ts";

/** Candidates drawn per sample (see the module comment). */
const CANDIDATES = 12;

/** Options of the gamma-based samplers: JAX's keywords `shape` and `dtype`. */
export interface GammaOptions {
  /** The sample shape (default: the parameters' broadcast shape). */
  shape?: readonly number[];
  /** float32 (default) or float64. */
  dtype?: FloatDType;
}

/** A shape parameter as a float array of `dtype`, its gradient stopped. */
function parameter(op: string, what: string, x: number | Array, dtype: FloatDType): Array {
  if (typeof x !== "number" && !(x instanceof Array)) {
    throw new AdjointError(op, `expected ${what} as a number or an array, got ${describeValue(x)}`);
  }
  return np.stopGradient(typeof x === "number" ? np.array(x, dtype) : np.astype(x, dtype));
}

/** `log G` for `G ~ Gamma(a, 1)`, `a` already of `shape` and `dtype`. */
function logGammaSample(key: Array, a: Array, shape: number[], dtype: FloatDType): Array {
  const [kx, ku, kb] = split(key, 3);
  const small = np.less(a, 1);
  const boosted = np.where(small, np.add(a, 1), a);
  const d = np.subtract(boosted, 1 / 3);
  const c = np.rsqrt(np.multiply(d, 9));
  const x = normal(kx, [CANDIDATES, ...shape], { dtype });
  const u = uniform(ku, [CANDIDATES, ...shape], { dtype });
  const v = np.power(np.add(np.multiply(c, x), 1), 3);
  const positive = np.greater(v, 0);
  const logV = np.log(np.where(positive, v, 1));
  // Accept when log u < x^2 / 2 + d - d v + d log v (and v > 0).
  const bound = np.add(
    np.multiply(np.square(x), 0.5),
    np.multiply(d, np.add(np.subtract(1, v), logV)),
  );
  const accept = np.logicalAnd(positive, np.less(np.log(u), bound));
  const first = np.argmax(np.astype(accept, "int32"), 0);
  const chosen = np.equal(
    np.reshape(np.arange(CANDIDATES), [CANDIDATES, ...shape.map(() => 1)]),
    first,
  );
  const logDv = np.add(np.log(d), np.sum(np.where(chosen, logV, 0), 0));
  // For a < 1: G_a = G_{a+1} u^(1/a).
  const boost = np.divide(np.log(uniform(kb, shape, { dtype })), a);
  return np.where(small, np.add(logDv, boost), logDv);
}

/** The dtype, sample shape and broadcast shape parameter of `gamma` and `loggamma`. */
function gammaSetup(op: string, a: number | Array, options: GammaOptions) {
  checkOptions(op, options, ["shape", "dtype"]);
  const dtype = checkFloatDType(op, options.dtype ?? "float32");
  const alpha = parameter(op, "a", a, dtype);
  const shape = broadcastSampleShape(op, options.shape, [alpha.shape]);
  return { dtype, shape, alpha: np.broadcastTo(alpha, shape) };
}

/**
 * `log G` for `G ~ Gamma(a, 1)` (JAX's `random.loggamma`): accurate where `G` itself would
 * underflow (small `a`).
 */
export function loggamma(key: Array, a: number | Array, options: GammaOptions = {}): Array {
  const { dtype, shape, alpha } = gammaSetup("random.loggamma", a, options);
  return logGammaSample(key, alpha, shape, dtype);
}

/**
 * Gamma samples with shape parameter `a` (> 0) and rate 1: density `x^(a-1) e^-x / Gamma(a)`,
 * mean and variance `a`. The sample shape defaults to `a`'s shape.
 *
 * ```ts
 * import { numpy as np, random } from "../mod.ts";
 * random.gamma(random.key(0), np.array([0.5, 2, 10]), { shape: [4, 3] }).shape; // [4, 3]
 * ```
 */
export function gamma(key: Array, a: number | Array, options: GammaOptions = {}): Array {
  const { dtype, shape, alpha } = gammaSetup("random.gamma", a, options);
  return np.exp(logGammaSample(key, alpha, shape, dtype));
}

/**
 * Beta samples with parameters `a`, `b` (> 0): `G_a / (G_a + G_b)`, mean `a / (a + b)`. The
 * sample shape defaults to the broadcast shape of `a` and `b`.
 *
 * ```ts
 * import { random } from "../mod.ts";
 * random.beta(random.key(0), 2, 5, { shape: [3] }).shape; // [3]
 * ```
 */
export function beta(
  key: Array,
  a: number | Array,
  b: number | Array,
  options: GammaOptions = {},
): Array {
  const op = "random.beta";
  checkOptions(op, options, ["shape", "dtype"]);
  const dtype = checkFloatDType(op, options.dtype ?? "float32");
  const pa = parameter(op, "a", a, dtype), pb = parameter(op, "b", b, dtype);
  const shape = broadcastSampleShape(op, options.shape, [pa.shape, pb.shape]);
  const [ka, kb] = split(key);
  const la = logGammaSample(ka, np.broadcastTo(pa, shape), shape, dtype);
  const lb = logGammaSample(kb, np.broadcastTo(pb, shape), shape, dtype);
  const top = np.maximum(la, lb);
  const ea = np.exp(np.subtract(la, top)), eb = np.exp(np.subtract(lb, top));
  return np.divide(ea, np.add(ea, eb));
}

/**
 * Dirichlet samples with concentrations `alpha` (`[..., K]`, all > 0): points of the simplex,
 * normalised gammas. The sample shape (without the last axis `K`) defaults to
 * `alpha.shape[:-1]`; the result has shape `[...shape, K]`.
 *
 * ```ts
 * import { numpy as np, random } from "../mod.ts";
 * random.dirichlet(random.key(0), np.array([1, 2, 3]), { shape: [5] }).shape; // [5, 3]
 * ```
 */
export function dirichlet(key: Array, alpha: Array, options: GammaOptions = {}): Array {
  const op = "random.dirichlet";
  checkOptions(op, options, ["shape", "dtype"]);
  const dtype = checkFloatDType(op, options.dtype ?? "float32");
  const conc = parameter(op, "alpha", alpha, dtype);
  if (conc.ndim < 1) {
    throw new AdjointError(
      op,
      `expected alpha with a last axis of concentrations, got ${conc.aval}`,
    );
  }
  const k = conc.shape[conc.ndim - 1];
  const shape = [...broadcastSampleShape(op, options.shape, [conc.shape.slice(0, -1)]), k];
  const lg = logGammaSample(key, np.broadcastTo(conc, shape), shape, dtype);
  return np.exp(np.subtract(lg, np.logsumexp(lg, -1, true)));
}
