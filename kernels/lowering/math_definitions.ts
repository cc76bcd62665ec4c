/**
 * Float32 math functions written once as kernel IR expressions: range reduction, a polynomial
 * on the reduced range and the rescaling, in the IR's own operations (`fma`, `bitcast`,
 * `shift`, `select`), so that every renderer (the eager and fused wasm kernels, WGSL eager and
 * fused) runs the same expression and gives the same bits, up to one freedom: an `fma` rounds
 * once where the target fuses it (wasm on FMA hardware, most GPUs) and twice elsewhere (lavapipe).
 * Every product that feeds a sum is an `fma`, so a GPU compiler's own contraction of `a * b + c`
 * changes nothing more. Stated maximum errors (under either rounding of `fma`), checked by tests/lowered_math_test.ts against float64
 * references over grids with their corners (subnormals, the overflow and underflow thresholds,
 * infinities, NaN):
 *
 * | function | bound                                                           |
 * | -------- | --------------------------------------------------------------- |
 * | exp      | rel 2e-7 (results below 2^-126 lose precision as subnormals)     |
 * | log      | rel 3e-7                                                        |
 *
 * Clamps are written `x < lo ? lo : x` (NaN passes through), which the wasm renderer turns into
 * one `pmax` (`pmin` for `hi < x ? hi : x`).
 * @module
 */
import type { Expr } from "./kernel_ir.ts";

const f = Math.fround;

/** A float32 constant (its value rounded to float32). */
const num = (value: number): Expr => ({ kind: "const", dtype: "float32", value: f(value) });
/** An int32 constant. */
const int = (value: number): Expr => ({ kind: "const", dtype: "int32", value: value | 0 });

const bin = (op: "add" | "sub" | "mul" | "and") => (a: Expr, b: Expr): Expr => ({
  kind: "binary",
  op,
  dtype: a.dtype,
  a,
  b,
});
const add = bin("add"), sub = bin("sub"), mul = bin("mul");
const and = bin("and");
const cmp = (op: "lt" | "gt" | "eq" | "ge") => (a: Expr, b: Expr): Expr => ({
  kind: "compare",
  op,
  dtype: "bool",
  a,
  b,
});
const lt = cmp("lt"), gt = cmp("gt"), eq = cmp("eq"), ge = cmp("ge");
const select = (cond: Expr, onTrue: Expr, onFalse: Expr): Expr => ({
  kind: "select",
  dtype: onTrue.dtype,
  cond,
  onTrue,
  onFalse,
});
const fma = (a: Expr, b: Expr, c: Expr): Expr => ({ kind: "fma", dtype: a.dtype, a, b, c });
const bits = (a: Expr): Expr => ({ kind: "bitcast", dtype: "int32", a });
const float = (a: Expr): Expr => ({ kind: "bitcast", dtype: "float32", a });
const shl = (a: Expr, n: number): Expr => ({
  kind: "shift",
  op: "shl",
  dtype: "int32",
  a,
  bits: n,
});
const convert = (a: Expr): Expr => ({ kind: "convert", dtype: "float32", a });
const shr = (a: Expr, n: number): Expr => ({
  kind: "shift",
  op: "shr",
  dtype: "int32",
  a,
  bits: n,
});

/** `x` clamped to [lo, hi], NaN passing through. */
const clamp = (x: Expr, lo: Expr, hi: Expr): Expr => {
  const below = select(lt(hi, x), hi, x);
  return select(lt(below, lo), lo, below);
};

/** `c[0] + x (c[1] + x (c[2] + ...))` by Horner's rule in fmas. */
const horner = (x: Expr, c: readonly number[]): Expr =>
  c.slice(0, -1).reduceRight((p, ci) => fma(p, x, num(ci)), num(c[c.length - 1]));

/** The bits of +inf: above them (in magnitude), NaNs. */
const INF_BITS = 0x7f800000;
/** 1.5 * 2^23: added to an integral float32 of magnitude below 2^22, it leaves it in the low bits. */
const ROUND_MAGIC = 12582912, ROUND_MAGIC_BITS = 0x4b400000;
/** ln 2 split so that `n * LN2_HI` is exact for |n| < 2^15 (exp's reduction). */
const LN2_HI = 0.693359375, LN2_LO = -2.12194440e-4;
/** (e^r - 1 - r) / r^2 on |r| <= ln(2)/2 (near-minimax). */
const EXPM1_Q = [0.5, 0.16666666, 0.04166636, 0.008333389, 0.0013940617, 0.00019845877];

/** `2^n` for int32 `n` in [-126, 127]: `n + 127` in the exponent bits. */
const pow2 = (n: Expr): Expr => float(shl(add(n, int(127)), 23));

/**
 * e^x: x = n ln 2 + r with n = round(x log2 e) (as a float, then as the low bits of `n + 1.5 *
 * 2^23`: a GPU compiler folds `(y + c) - c` into y, but not through a bitcast), e^r = 1 + r +
 * r^2 Q(r), times 2^n as two factors so that results overflow to inf and underflow through the
 * subnormals, rounded once. The argument is clamped to [-104, 89] first: outside, the result is
 * 0 or inf. NaN is found from its bits (GPU compilers turn a clamp into min and max, which drop
 * NaN).
 */
export function expF32(x: Expr): Expr {
  const xc = clamp(x, num(-104), num(89));
  const nf: Expr = { kind: "unary", op: "round", dtype: "float32", a: mul(xc, num(Math.LOG2E)) };
  const n = sub(bits(add(nf, num(ROUND_MAGIC))), int(ROUND_MAGIC_BITS));
  // n once as nf, once from its bits: GPU compilers distribute a * b + a * c into a * (b + c).
  const r = fma(convert(n), num(-LN2_LO), fma(nf, num(-LN2_HI), xc));
  const em1 = fma(mul(r, r), horner(r, EXPM1_Q), r);
  // (1 + em1) 2^n1 as one fma, exact but for its one rounding, fused or not (a GPU compiler
  // reassociates `(a + b) + 1`, but has no constant to move here).
  const n1 = shr(n, 1), s1 = pow2(n1);
  const y = mul(fma(em1, s1, s1), pow2(sub(n, n1)));
  return select(gt(and(bits(x), int(0x7fffffff)), int(INF_BITS)), x, y);
}

/**
 * (log(1 + f) - f + f^2 / 2) / f^3 on f in [sqrt(1/2) - 1, sqrt(2) - 1] (Cephes' logf, relative
 * error 7.6e-8 there).
 */
const LOG_P = [
  3.3333331174e-1,
  -2.4999993993e-1,
  2.0000714765e-1,
  -1.6668057665e-1,
  1.4249322787e-1,
  -1.2420140846e-1,
  1.1676998740e-1,
  -1.1514610310e-1,
  7.0376836292e-2,
];
const MIN_NORMAL = 2 ** -126;
/** `1 - bits(sqrt(1/2))`: moves the mantissas from sqrt(1/2) up into the next binade. */
const HALF_SQRT2_BITS = 0x3f3504f3, BINADE_SHIFT = 0x3f800000 - HALF_SQRT2_BITS;

/**
 * Natural logarithm: x = 2^e m with m in [sqrt(1/2), sqrt(2)) (subnormals scaled by 2^23
 * first; adding `BINADE_SHIFT` to the bits carries the mantissas above sqrt(2) into e, as musl's
 * logf), log(1 + f) = f - f^2 / 2 + f^3 P(f) for f = m - 1 (no division: WGSL's is not
 * correctly rounded), plus e ln 2 (in one part: where e is not 0 the sum is not small). Zeros give -inf; from the bits (which no GPU
 * compiler reorders, unlike float comparisons with NaN), negatives NaN, +inf and NaN themselves.
 */
export function logF32(x: Expr): Expr {
  const tiny = lt(x, num(MIN_NORMAL));
  const shifted = add(bits(select(tiny, mul(x, num(2 ** 23)), x)), int(BINADE_SHIFT));
  const e = sub(shr(shifted, 23), select(tiny, int(127 + 23), int(127)));
  const fm = sub(float(add(and(shifted, int(0x007fffff)), int(HALF_SQRT2_BITS))), num(1));
  const f2 = mul(fm, fm);
  const logm = fma(mul(fm, f2), horner(fm, LOG_P), fma(f2, num(-0.5), fm));
  const y = fma(convert(e), num(Math.LN2), logm);
  const ix = bits(x);
  const special = select(lt(ix, int(0)), num(NaN), select(ge(ix, int(INF_BITS)), x, y));
  return select(eq(x, num(0)), num(-Infinity), special);
}
