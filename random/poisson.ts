/**
 * Poisson samples, as JAX draws them: the inverse CDF for small rates and Hörmann's
 * transformed rejection with squeeze (PTRS, 1993) for rates of at least 10.
 *
 * Without a loop primitive both are unrolled to a fixed size chosen so that running out is
 * negligible: the inverse CDF sums `CDF_TERMS` terms (a rate below 10 exceeds 47 with
 * probability ~1e-17), and PTRS draws `PTRS_CANDIDATES` candidates, each accepted with
 * probability above 0.9, and keeps the first accepted (all fail with probability ~1e-16).
 * @module
 */
import { Array, ConcreteArray } from "../core/array.ts";
import { describeValue } from "../core/describe.ts";
import { AdjointError } from "../core/errors.ts";
import { checkOptions } from "../core/options.ts";
import { shapeStr } from "../core/shape.ts";
import * as np from "../numpy.ts";
import { split } from "./key.ts";
import { checkSampleShape } from "./sample_shape.ts";
import { type FloatDType, uniform } from "./uniform.ts";

const CDF_TERMS = 48;
const PTRS_CANDIDATES = 16;
/** Rates from which PTRS is used. */
const LARGE = 10;
/** `log k!` is read from a table below this, from Stirling's series at and above. */
const TABLE = 16;

/** Options of `poisson`: JAX's keyword `shape`. */
export interface PoissonOptions {
  /** The sample shape (default: the shape of `lam`); `lam` broadcasts to it. */
  shape?: readonly number[];
}

/** `log k!` of integer-valued `k >= 0`, to ~2e-12 (Stirling's series past the table). */
function logFactorial(k: Array, dtype: FloatDType): Array {
  const table = new Float64Array(TABLE);
  for (let i = 1; i < TABLE; i++) table[i] = table[i - 1] + Math.log(i);
  const data = dtype === "float32" ? Float32Array.from(table) : table;
  const small = np.take(
    ConcreteArray.fromHost(data, [TABLE], dtype),
    np.astype(np.clip(k, 0, TABLE - 1), "int32"),
  );
  const n = np.maximum(k, TABLE);
  const inv = np.reciprocal(n), inv2 = np.square(inv);
  const series = np.multiply(
    inv,
    np.subtract(1 / 12, np.multiply(inv2, np.subtract(1 / 360, np.multiply(inv2, 1 / 1260)))),
  );
  const stirling = np.add(
    np.add(np.subtract(np.multiply(n, np.log(n)), n), np.multiply(np.log(n), 0.5)),
    np.add(series, 0.5 * Math.log(2 * Math.PI)),
  );
  return np.where(np.less(k, TABLE), small, stirling);
}

/** Inverse CDF: the number of partial sums of the pmf (`k < CDF_TERMS`) below `u`. */
function smallRate(key: Array, lam: Array, shape: number[], dtype: FloatDType): Array {
  const u = uniform(key, shape, { dtype });
  const n = shape.reduce((a, b) => a * b, 1);
  const ks = np.reshape(np.arange(CDF_TERMS, undefined, 1, dtype), [CDF_TERMS, 1]);
  const flat = np.reshape(lam, [1, n]);
  // k log lam with 0 log 0 = 0, so that a rate of 0 has pmf [1, 0, 0, ...].
  const kLogLam = np.where(np.equal(ks, 0), 0, np.multiply(ks, np.log(flat)));
  const pmf = np.exp(np.subtract(np.subtract(kLogLam, flat), logFactorial(ks, dtype)));
  // Partial sums along the terms as one product with a lower-triangular matrix of ones.
  const lower = np.astype(
    np.greaterEqual(np.reshape(np.arange(CDF_TERMS), [CDF_TERMS, 1]), np.arange(CDF_TERMS)),
    dtype,
  );
  const cdf = np.matmul(lower, pmf);
  const below = np.astype(np.greater(np.reshape(u, [1, n]), cdf), "int32");
  return np.reshape(np.sum(below, 0), shape);
}

/** PTRS (Hörmann 1993, as in JAX's `_poisson_rejection`), first accepted candidate. */
function largeRate(key: Array, lam: Array, shape: number[], dtype: FloatDType): Array {
  const [ku, kv] = split(key);
  const cand = [PTRS_CANDIDATES, ...shape];
  const logLam = np.log(lam);
  const b = np.add(np.multiply(np.sqrt(lam), 2.53), 0.931);
  const a = np.add(np.multiply(b, 0.02483), -0.059);
  const invAlpha = np.add(np.divide(1.1328, np.subtract(b, 3.4)), 1.1239);
  const vr = np.subtract(0.9277, np.divide(3.6224, np.subtract(b, 2)));
  const u = np.subtract(uniform(ku, cand, { dtype }), 0.5);
  const v = uniform(kv, cand, { dtype });
  const us = np.subtract(0.5, np.abs(u));
  const k = np.floor(
    np.add(np.multiply(np.add(np.divide(np.multiply(a, 2), us), b), u), np.add(lam, 0.43)),
  );
  const s = np.log(np.divide(np.multiply(v, invAlpha), np.add(np.divide(a, np.square(us)), b)));
  const t = np.subtract(
    np.subtract(np.multiply(k, logLam), lam),
    logFactorial(np.maximum(k, 0), dtype),
  );
  const squeeze = np.logicalAnd(np.greaterEqual(us, 0.07), np.lessEqual(v, vr));
  const reject = np.logicalOr(
    np.less(k, 0),
    np.logicalAnd(np.less(us, 0.013), np.greater(v, us)),
  );
  const accept = np.logicalOr(squeeze, np.logicalAnd(np.logicalNot(reject), np.lessEqual(s, t)));
  const first = np.argmax(np.astype(accept, "int32"), 0);
  const position = np.reshape(np.arange(PTRS_CANDIDATES), [PTRS_CANDIDATES, ...shape.map(() => 1)]);
  return np.astype(np.sum(np.where(np.equal(position, first), k, 0), 0), "int32");
}

/**
 * Poisson samples (int32) with rates `lam` (>= 0): `P(k) = lam^k e^-lam / k!`, mean and
 * variance `lam`. The sample shape defaults to `lam`'s shape. Rates are computed in float64
 * when `lam` is float64, in float32 otherwise.
 *
 * ```ts
 * import { numpy as np, random } from "../mod.ts";
 * random.poisson(random.key(0), np.array([0.5, 4, 100])).shape; // [3]
 * random.poisson(random.key(0), 3, { shape: [10] }).dtype; // "int32"
 * ```
 */
export function poisson(key: Array, lam: number | Array, options: PoissonOptions = {}): Array {
  const op = "random.poisson";
  checkOptions(op, options, ["shape"]);
  if (typeof lam !== "number" && !(lam instanceof Array)) {
    throw new AdjointError(op, `expected lam as a number or an array, got ${describeValue(lam)}`);
  }
  const dtype: FloatDType = lam instanceof Array && lam.dtype === "float64" ? "float64" : "float32";
  const rate = np.stopGradient(
    typeof lam === "number" ? np.array(lam, dtype) : np.astype(lam, dtype),
  );
  const shape = options.shape === undefined
    ? [...rate.shape]
    : [...checkSampleShape(op, options.shape)];
  const fits = rate.ndim <= shape.length &&
    rate.shape.every((d, i) => d === 1 || d === shape[shape.length - rate.ndim + i]);
  if (!fits) {
    throw new AdjointError(
      op,
      `lam of shape ${shapeStr(rate.shape)} does not broadcast to the sample shape ${
        shapeStr(shape)
      }`,
    );
  }
  const r = np.broadcastTo(rate, shape);
  const large = np.greaterEqual(r, LARGE);
  const [ks, kl] = split(key);
  const small = smallRate(ks, np.where(large, 0, r), shape, dtype);
  const big = largeRate(kl, np.where(large, r, LARGE), shape, dtype);
  return np.where(large, big, small);
}
