/**
 * Float32 math functions written once as kernel IR expressions: range reduction, a polynomial
 * on the reduced range and the rescaling, in the IR's own operations (`fma`, `bitcast`,
 * `shift`, `select`), so that every renderer (the eager and fused wasm kernels, WGSL eager and
 * fused) runs the same expression and gives the same bits, up to one freedom: an `fma` rounds
 * once where the target fuses it (wasm on FMA hardware, most GPUs) and twice elsewhere (lavapipe).
 * Every product that feeds a sum is an `fma`, so a GPU compiler's own contraction of `a * b + c`
 * changes nothing more; where lavapipe's compiler reassociated or folded other forms, the
 * definitions avoid them (each says how). Stated maximum errors, under either rounding of `fma`,
 * checked against float64 references over grids with their corners (subnormals, the overflow
 * and underflow thresholds, infinities, NaN) by tests/lowered_math_test.ts and (erf, erf_inv)
 * tests/wasm_math_test.ts:
 *
 * | function | bound                                                           |
 * | -------- | --------------------------------------------------------------- |
 * | exp      | rel 2e-7 (results below 2^-126 lose precision as subnormals)     |
 * | expm1    | rel 2e-7                                                        |
 * | log      | rel 3e-7                                                        |
 * | log1p    | rel 3e-7                                                        |
 * | tanh     | rel 3e-7                                                        |
 * | logistic | rel 3e-7                                                        |
 * | erf      | abs 2e-7; rel 3e-7                                              |
 * | erf_inv  | rel 5e-7 for abs(y) <= 1 - 2^-20                                |
 * | sin, cos | abs 2e-7 for abs(x) <= 1e5 (see below)                          |
 * | atan2    | rel 2e-7                                                        |
 * | pow      | rel 2.5e-7 where x^y is normal (see `powF32` for the exceptions) |
 *
 * Beyond 1e5 the first two steps of sin's and cos's reduction stop being exact: with `fma`
 * fused the absolute error was measured at 1.1e-7 up to 1e6 and 8e-6 up to 6.5e6; unfused, 0.03
 * and 0.25. Beyond 2^22 pi/2 (6.6e6) the results are only within [-1, 1]; inf gives NaN.
 *
 * Clamps are written `x < lo ? lo : x` (NaN passes through), which the wasm renderer turns into
 * one `pmax` (`pmin` for `hi < x ? hi : x`).
 * @module
 */
import type { Expr, MathFn } from "./kernel_ir.ts";
import { binaryExpr, compareExpr, select, unaryExpr } from "./ir_builders.ts";
import { POW_PRODUCTS, powProducts } from "./pow_products.ts";

const f = Math.fround;

/** A float32 constant (its value rounded to float32). */
const num = (value: number): Expr => ({ kind: "const", dtype: "float32", value: f(value) });
/** An int32 constant. */
const int = (value: number): Expr => ({ kind: "const", dtype: "int32", value: value | 0 });

const bin = (op: "add" | "sub" | "mul" | "div" | "and" | "or") => (a: Expr, b: Expr): Expr =>
  binaryExpr(op, a, b);
const add = bin("add"), sub = bin("sub"), mul = bin("mul"), div = bin("div");
const and = bin("and"), or = bin("or");
const cmp = (op: "lt" | "le" | "gt" | "eq" | "ne" | "ge") => (a: Expr, b: Expr): Expr =>
  compareExpr(op, a, b);
const lt = cmp("lt"), le = cmp("le"), gt = cmp("gt"), eq = cmp("eq"), ne = cmp("ne");
const ge = cmp("ge");
const abs = (a: Expr): Expr => unaryExpr("abs", a), neg = (a: Expr): Expr => unaryExpr("neg", a);
const not = (a: Expr): Expr => unaryExpr("not", a);
const round = (a: Expr): Expr => unaryExpr("round", a);
const floor = (a: Expr): Expr => unaryExpr("floor", a);
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
/** Float32 `a` truncated to an int32 (saturating; NaN gives 0). */
const truncate = (a: Expr): Expr => ({ kind: "convert", dtype: "int32", a });
const shr = (a: Expr, n: number): Expr => ({
  kind: "shift",
  op: "shr",
  dtype: "int32",
  a,
  bits: n,
});

/** `x` clamped to at most `hi`, NaN passing through (one `pmin` on wasm). */
const atMost = (x: Expr, hi: Expr): Expr => select(lt(hi, x), hi, x);

/** `x` clamped to at least `lo`, NaN passing through (one `pmax` on wasm). */
const atLeast = (x: Expr, lo: Expr): Expr => select(lt(x, lo), lo, x);

/** `x` clamped to [lo, hi], NaN passing through. */
const clamp = (x: Expr, lo: Expr, hi: Expr): Expr => atLeast(atMost(x, hi), lo);

/** `c[0] + x (c[1] + x (c[2] + ...))` by Horner's rule in fmas. */
const horner = (x: Expr, c: readonly number[]): Expr =>
  c.slice(0, -1).reduceRight((p, ci) => fma(p, x, num(ci)), num(c[c.length - 1]));

/** The bits of +inf: above them, NaNs. */
const INF_BITS = 0x7f800000;
/** 1.5 * 2^23: added to an integral float32 below 2^22 in magnitude, leaves it in the low bits. */
const ROUND_MAGIC = 12582912, ROUND_MAGIC_BITS = 0x4b400000;
/** ln 2 split so that `n * LN2_HI` is exact for |n| < 2^15 (exp's reduction). */
const LN2_HI = 0.693359375, LN2_LO = -2.12194440e-4;
/** (e^r - 1 - r) / r^2 on |r| <= ln(2)/2 (near-minimax). */
const EXPM1_Q = [0.5, 0.16666666, 0.04166636, 0.008333389, 0.0013940617, 0.00019845877];

/** `2^n` for int32 `n` in [-126, 127]: `n + 127` in the exponent bits. */
const pow2 = (n: Expr): Expr => float(shl(add(n, int(127)), 23));

/**
 * e^x: x = n ln 2 + r (`expReduced`), e^r = 1 + r + r^2 Q(r), times 2^n as two factors so that
 * results overflow to inf and underflow through the subnormals, rounded once. The argument is
 * clamped to [-104, 89] first: outside, the result is 0 or inf.
 */
export function expF32(x: Expr): Expr {
  return expOfClamped(clamp(x, num(EXP_LO), num(EXP_HI)), x);
}

/** The arguments beyond which e^x is 0 or inf in float32 (with a margin). */
const EXP_LO = -104, EXP_HI = 89;

/** e^x of `x` clamped to `xc` (in [-104, 89]). */
function expOfClamped(xc: Expr, x: Expr): Expr {
  const { n, em1 } = expReduced(xc);
  return unlessNaN(x, timesPow2(em1, n));
}

/**
 * `y`, or `x` where `x` is NaN (GPU compilers turn a clamp into min and max, which drop NaN, but
 * keep `x != x`, as the WGSL renderer's comparisons rely on).
 */
const unlessNaN = (x: Expr, y: Expr): Expr => select(ne(x, x), x, y);

/**
 * x = n ln 2 + r with n = round(x log2 e) (as a float, then as an int32: `integral`), and
 * e^r - 1 = r + r^2 Q(r) for |x| below 2^15 ln 2.
 */
function expReduced(xc: Expr): { n: Expr; em1: Expr } {
  const nf = round(mul(xc, num(Math.LOG2E)));
  const n = integral(nf);
  // n once as nf, once from its bits: GPU compilers distribute a * b + a * c into a * (b + c).
  const r = fma(convert(n), num(-LN2_LO), fma(nf, num(-LN2_HI), xc));
  return { n, em1: expm1Near0(r) };
}

/** e^r - 1 = r + r^2 Q(r) for |r| <= ln(2)/2. */
const expm1Near0 = (r: Expr): Expr => fma(mul(r, r), horner(r, EXPM1_Q), r);

/**
 * Integral float32 `nf` (|nf| < 2^22) as an int32: the low bits of `nf + 1.5 * 2^23` (a GPU
 * compiler folds `(y + c) - c` into y, but not through a bitcast).
 */
const integral = (nf: Expr): Expr => sub(bits(add(nf, num(ROUND_MAGIC))), int(ROUND_MAGIC_BITS));

/**
 * (1 + em1) 2^n for int32 n in [-252, 254], as two factors so that results overflow to inf and
 * underflow through the subnormals, rounded once: (1 + em1) 2^n1 as one fma, exact but for its
 * one rounding, fused or not (a GPU compiler reassociates `(a + b) + 1`, but has no constant to
 * move here).
 */
function timesPow2(em1: Expr, n: Expr): Expr {
  const n1 = shr(n, 1), s1 = pow2(n1);
  return mul(fma(em1, s1, s1), pow2(sub(n, n1)));
}

/** Above this e^x - 1 overflows; below -18 it rounds to -1. */
const EXPM1_HI = 88.72283, EXPM1_LO = -18;
/** Beyond this n, 2^n (e^r - 1) + (2^n - 1) is (e^r) 2^n - 1 to within its rounding. */
const EXPM1_SCALED = 24;

/**
 * e^x - 1, accurate near 0: with x = n ln 2 + r as for exp, e^r - 1 itself where n is 0 (|x|
 * below ln(2)/2), 2^n (e^r - 1) + (2^n - 1) up to n = 24 (2^n - 1 exact), (e^r) 2^n - 1 above;
 * inf above 88.72.
 */
export function expm1F32(x: Expr): Expr {
  const { n, em1 } = expReduced(clamp(x, num(EXPM1_LO), num(EXPM1_HI)));
  const s = pow2(n);
  const moderate = fma(s, em1, sub(s, num(1)));
  const large = sub(timesPow2(em1, n), num(1));
  const y = select(eq(n, int(0)), em1, select(gt(n, int(EXPM1_SCALED)), large, moderate));
  return unlessNaN(x, select(gt(x, num(EXPM1_HI)), num(Infinity), y));
}

/** The sign bit of a float32. */
const SIGN_BITS = 0x80000000 | 0;

/** `|y|` with the sign of `x`. */
const withSign = (y: Expr, x: Expr): Expr =>
  float(or(and(bits(y), int(~SIGN_BITS)), and(bits(x), int(SIGN_BITS))));

/** Beyond this tanh rounds to +-1. */
const TANH_CLAMP = 9;

/**
 * Hyperbolic tangent, odd by construction: with e = expm1(-2|x|), tanh |x| = -e / (2 + e),
 * given the sign of x (so tanh(-x) is exactly -tanh(x)); |x| is clamped to 9 (where it is 1).
 */
export function tanhF32(x: Expr): Expr {
  const a = atMost(abs(x), num(TANH_CLAMP));
  const e = expm1F32(mul(a, num(-2)));
  const t = div(neg(e), add(e, num(2)));
  return unlessNaN(x, withSign(t, x));
}

/** Logistic sigmoid 1 / (1 + e^-x), from e = e^-|x| so that it never overflows. */
export function logisticF32(x: Expr): Expr {
  const minusAbs = float(or(bits(x), int(SIGN_BITS)));
  const e = expOfClamped(atLeast(minusAbs, num(EXP_LO)), minusAbs);
  return div(select(ge(x, num(0)), num(1), e), add(e, num(1)));
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
/** The range of f = m - 1: [sqrt(1/2) - 1, sqrt(2) - 1]. */
const F_LO = Math.SQRT1_2 - 1, F_HI = Math.SQRT2 - 1;

/** log(1 + f) = f - f^2 / 2 + f^3 P(f) for f in [F_LO, F_HI]. */
function log1pNear0(f: Expr): Expr {
  const f2 = mul(f, f);
  return fma(mul(f, f2), horner(f, LOG_P), fma(f2, num(-0.5), f));
}

/** bits(1) - bits(sqrt(1/2)): added to the bits, moves mantissas from sqrt(2) up a binade. */
const HALF_SQRT2_BITS = 0x3f3504f3, BINADE_SHIFT = 0x3f800000 - HALF_SQRT2_BITS;

/**
 * x = 2^e m with int32 e and m in [sqrt(1/2), sqrt(2)), for positive finite x (subnormals scaled
 * by 2^23 first; adding `BINADE_SHIFT` to the bits carries the mantissas above sqrt(2) into e, as
 * musl's logf).
 */
function binade(x: Expr): { e: Expr; m: Expr } {
  const tiny = lt(x, num(MIN_NORMAL));
  const shifted = add(bits(select(tiny, mul(x, num(2 ** 23)), x)), int(BINADE_SHIFT));
  const e = sub(shr(shifted, 23), select(tiny, int(127 + 23), int(127)));
  return { e, m: float(add(and(shifted, int(0x007fffff)), int(HALF_SQRT2_BITS))) };
}

/**
 * Natural logarithm: x = 2^e m with m in [sqrt(1/2), sqrt(2)) (subnormals scaled by 2^23
 * first; adding `BINADE_SHIFT` to the bits carries the mantissas above sqrt(2) into e, as musl's
 * logf), log(1 + f) = f - f^2 / 2 + f^3 P(f) for f = m - 1 (Cephes' logf: no division),
 * plus e ln 2 (in one part: where e is not 0 the sum is not small). Zeros
 * give -inf; from the bits (which no GPU compiler reorders, unlike float comparisons with NaN),
 * negatives NaN, +inf and NaN themselves.
 */
export function logF32(x: Expr): Expr {
  const { e, m } = binade(x);
  const y = fma(convert(e), num(Math.LN2), log1pNear0(sub(m, num(1))));
  const ix = bits(x);
  const special = select(lt(ix, int(0)), num(NaN), select(ge(ix, int(INF_BITS)), x, y));
  return select(eq(x, num(0)), num(-Infinity), special);
}

/**
 * log(1 + x), accurate near 0: the polynomial of log's reduced range itself for x in
 * [sqrt(1/2) - 1, sqrt(2) - 1], log(1 + x) outside (where the rounding of 1 + x costs at most
 * 2^-25 against a logarithm of magnitude 0.34 or more). (Correcting log(u) by the rounding
 * error `x - (u - 1)` of u = 1 + x, GPU compilers simplify to 0.)
 */
export function log1pF32(x: Expr): Expr {
  const near0 = and(ge(x, num(F_LO)), lt(x, num(F_HI)));
  return select(near0, log1pNear0(x), logF32(add(x, num(1))));
}

/** erf(x) / x as a polynomial in x^2 on [0, 1] (near-minimax). */
const ERF_E = [
  1.1283792,
  -0.37612626,
  0.11283585,
  -0.026853813,
  0.0051883296,
  -0.00080102085,
  7.8539068e-05,
];
/** erfc(a) e^(a^2) on [1, 4] as a polynomial in t = (a - 2.5) / 1.5 (near-minimax). */
const ERFC_R = [
  0.21080637,
  -0.11152137,
  0.056110334,
  -0.026998289,
  0.012489144,
  -0.0056099413,
  0.002411346,
  -0.00091802248,
  0.00038469258,
  -0.00024439963,
  8.9609219e-05,
];

/** Error function: x E(x^2) below 1, 1 - e^(-x^2) R(x) up to 4, then +-1. */
export function erfF32(x: Expr): Expr {
  const a = abs(x);
  const x2 = mul(x, x);
  const small = mul(x, horner(x2, ERF_E));
  const t = mul(sub(atMost(a, num(4)), num(2.5)), num(0.6666667));
  const minusX2 = mul(atMost(x2, num(16)), num(-1));
  const erfc = mul(expF32(minusX2), horner(t, ERFC_R));
  const large = sub(num(1), select(ge(a, num(4)), num(0), erfc));
  return select(lt(a, num(1)), small, unlessNaN(x, withSign(large, x)));
}

/** erf_inv(y) / y as a polynomial in w - 2.5, for w = -log(1 - y^2) below 5 (near-minimax). */
const ERF_INV_P = [
  1.5014094,
  0.24664029,
  -0.0041773868,
  -0.0012527419,
  0.00021834444,
  -4.9633454e-06,
  -3.4627045e-06,
  4.6617012e-07,
  2.3232623e-08,
  -8.791017e-09,
];
/** erf_inv(y) / y as a polynomial in sqrt(w) - 3, for w of 5 and above (near-minimax). */
const ERF_INV_V = [
  2.8329769,
  1.0016748,
  0.0094387490,
  -0.0076353642,
  0.0057340485,
  -0.0036127867,
  0.0013742693,
  -3.9268317e-06,
  -0.00022535873,
  6.2242638e-05,
];

/**
 * Inverse error function: y P(w) with w = -log((1 - y)(1 + y)), on two ranges of w; +-1 give
 * +-inf, |y| > 1 and NaN give NaN (w is NaN there).
 */
export function erfInvF32(y: Expr): Expr {
  const w = mul(logF32(mul(sub(num(1), y), add(num(1), y))), num(-1));
  const p = horner(sub(w, num(2.5)), ERF_INV_P);
  const root: Expr = { kind: "unary", op: "sqrt", dtype: "float32", a: w };
  const q = horner(sub(root, num(3)), ERF_INV_V);
  const r = mul(y, select(lt(w, num(5)), p, q));
  const pole = eq(abs(y), num(1));
  return select(pole, withSign(num(Infinity), y), r);
}

/**
 * pi/2 in three parts for x = k pi/2 + r: `PIO2_1` (8 significant bits) and `PIO2_2` (7) make
 * k `PIO2_1` and k `PIO2_2` exact for k < 2^16, so their fmas round alike fused or not;
 * `PIO2_3` is the rest (pi/2 - the three is 5e-15).
 */
const PIO2_1 = 1.5703125, PIO2_2 = 4.84466552734375e-4, PIO2_3 = -6.397578431460715e-7;
/** (sin r - r) / r^3 and (cos r - 1 + r^2 / 2) / r^4, in r^2, on |r| <= pi/4 (near-minimax). */
const SIN_S = [-0.16666655, 0.0083321608, -0.00019515283];
const COS_C = [0.041666646, -0.0013887316, 2.4433157e-05];

/**
 * a = k pi/2 + r for a >= 0, with k = round(a 2/pi) as an int32 (its low bits: the quadrant) and
 * r in [-pi/4, pi/4] (slightly beyond where a 2/pi rounds): Cody-Waite in three fmas, the first
 * two exact for a below 2^16 pi/2 (after the first, a - k `PIO2_1` is exact by Sterbenz; the
 * second is exact by their bits' spacing), so that r's error is its one last rounding. k once as
 * a float, once from its bits: GPU compilers distribute a * b + a * c into a * (b + c).
 */
function quadrant(a: Expr): { k: Expr; r: Expr } {
  const kf = round(mul(a, num(2 / Math.PI)));
  const k = integral(kf);
  const r = fma(kf, num(-PIO2_3), fma(convert(k), num(-PIO2_2), fma(kf, num(-PIO2_1), a)));
  return { k, r };
}

/**
 * A bound on |r| from `quadrant` while k fits `integral` (a below 2^22 pi/2): beyond, r is
 * clamped to it, where the polynomials stay within [-1, 1].
 */
const R_MAX = 1.2;

/**
 * sin a for a = k pi/2 + r (`quadrant`) and a phase of 0 or 1 quadrants: sin r, cos r, -sin r,
 * -cos r for k + phase = 0, 1, 2, 3 mod 4, the sign flipped by adding 2^31 to the bits (and
 * `flip`'s); NaN where a is inf or NaN (from its bits: a GPU compiler's min and max would turn
 * the clamp's NaN into a number).
 */
function sinOfQuadrant(a: Expr, phase: 0 | 1, flip: Expr): Expr {
  const { k, r: unclamped } = quadrant(a);
  const r = clamp(unclamped, num(-R_MAX), num(R_MAX));
  const q = phase ? add(k, int(phase)) : k;
  const z = mul(r, r);
  const s = fma(mul(r, z), horner(z, SIN_S), r);
  const c = fma(mul(z, z), horner(z, COS_C), fma(z, num(-0.5), num(1)));
  const v = select(eq(and(q, int(1)), int(0)), s, c);
  const y = float(add(bits(v), add(shl(and(q, int(2)), 30), flip)));
  return select(lt(bits(a), int(INF_BITS)), y, num(NaN));
}

/** Sine, odd by construction: of |x| (`sinOfQuadrant`), given the sign of x. */
export function sinF32(x: Expr): Expr {
  return sinOfQuadrant(abs(x), 0, and(bits(x), int(SIGN_BITS)));
}

/** Cosine, even by construction: sin of |x| a quadrant on (`sinOfQuadrant`). */
export function cosF32(x: Expr): Expr {
  return sinOfQuadrant(abs(x), 1, int(0));
}

/** (atan t - t) / t^3 as a polynomial in t^2 on t in [0, 1] (near-minimax, rel 1.7e-8). */
const ATAN_P = [
  -0.33333152532577515,
  0.19993768632411957,
  -0.14211022853851318,
  0.10665880143642426,
  -0.07551952451467514,
  0.04320878908038139,
  -0.01636604219675064,
  0.0029202201403677464,
];

/**
 * Four-quadrant arctangent of y / x, as JavaScript's Math.atan2(y, x): t = min / max of |x| and
 * |y| in [0, 1] (0 where both are 0, 1 where both are infinite), atan t = t + t^3 P(t^2), then
 * the octant: atan t, pi/2 - atan t, pi - atan t or pi/2 + atan t by whether |y| > |x| and x's
 * sign bit (so -0 gives pi), rounded once, given the sign of y. NaN in either gives NaN (by
 * `x != x`: GPU compilers turn the selects of min and max into min and max, which drop NaN).
 */
export function atan2F32(y: Expr, x: Expr): Expr {
  const ay = abs(y), ax = abs(x);
  const steep = lt(ax, ay);
  const lo = select(steep, ax, ay), hi = select(steep, ay, ax);
  const t = select(eq(lo, hi), select(eq(hi, num(0)), num(0), num(1)), div(lo, hi));
  const z = mul(t, t);
  const at = fma(mul(t, z), horner(z, ATAN_P), t);
  const west = lt(bits(x), int(0));
  const base = select(steep, num(Math.PI / 2), select(west, num(Math.PI), num(0)));
  const angle = add(base, select(ne(steep, west), neg(at), at));
  const signed = float(or(bits(angle), and(bits(y), int(SIGN_BITS))));
  return select(or(ne(x, x), ne(y, y)), num(NaN), signed);
}

/** The top 12 significant bits of a float32 (its sign, exponent and first 11 stored bits). */
const high12 = (v: Expr): Expr => float(and(bits(v), int(0xfffff000 | 0)));

/** 2 / ln 2 split: `TWO_LOG2E_HI` has 12 significant bits (products with 12-bit values exact). */
const TWO_LOG2E_HI = 2.8857421875, TWO_LOG2E_LO = -3.521057078614831e-4;
/** log2((1 + s) / (1 - s)) = s (2 / ln 2) + s^3 R(s^2) for |s| <= 3 - 2 sqrt(2) (near-minimax). */
const LOG2_R = [0.9617967009544373, 0.577079176902771, 0.41188985109329224, 0.3374025821685791];

/**
 * log2 a = hi + lo for positive finite a, hi with 12 significant bits and the sum within 2.1e-9
 * of log2 a relatively (measured), in float32 operations: a = 2^e m (`binade`),
 * log2 m = (2 / ln 2) atanh(s) for s = (m - 1) / (m + 1), s to double precision as sh + sl by
 * one division and its residual, exact in products of 12-bit halves (`high12`, no fma needed:
 * the same bits fused or not; m + 1 is exact once m's last bit is set apart), and
 * e + log2 m split at its 12th bit.
 */
function log2Split(a: Expr): { hi: Expr; lo: Expr } {
  const { e, m } = binade(a);
  const f = sub(m, num(1));
  const mEven = float(and(bits(m), int(~1)));
  const d = add(mEven, num(1)), dOdd = sub(m, mEven);
  const sh = div(f, d);
  const p = high12(sh), q = sub(sh, p), u = high12(d), v = sub(d, u);
  // f - sh (d + dOdd), largest products first; no two adjacent fmas share a factor (a GPU
  // compiler would merge them into one product).
  const cross = fma(q, u, mul(p, v));
  const residual = fma(sh, neg(dOdd), fma(q, neg(v), sub(fma(p, neg(u), f), cross)));
  const sl = div(residual, d);
  const z = mul(sh, sh);
  const head = mul(p, num(TWO_LOG2E_HI));
  // sl's term has the slope of 2s / ln 2 + s^3 R at sh, since the cube is of sh alone.
  const cube = mul(mul(sh, z), horner(z, LOG2_R));
  const tail = fma(
    q,
    num(TWO_LOG2E_HI),
    fma(sh, num(TWO_LOG2E_LO), fma(sl, fma(z, num(3 * LOG2_R[0]), num(2 * Math.LOG2E)), cube)),
  );
  const ef = convert(e);
  const hi = high12(add(ef, add(head, tail)));
  return { hi, lo: add(add(sub(ef, hi), head), tail) };
}

/** Beyond this |y log2 x|, x^y is 0 or inf (in float32, with a margin). */
const POW_W_MAX = 200;

/**
 * |x|^y for finite positive |x| and finite y: y log2 |x| = w = n + r (`log2Split`, y in
 * 12-bit halves: the big product exact, the rest small), 2^r = e^(r ln 2) by exp's polynomial,
 * times 2^n. w is clamped to +-`POW_W_MAX` and r to [-1, 1], which overflow or underflow there.
 */
function powMagnitude(ax: Expr, y: Expr): Expr {
  const { hi, lo } = log2Split(ax);
  const yh = high12(y), yl = sub(y, yh);
  const big = mul(yh, hi), small = fma(yl, hi, mul(y, lo));
  const nf = round(clamp(add(big, small), num(-POW_W_MAX), num(POW_W_MAX)));
  // big - n is exact: big's spacing divides 1 below 2^24, and |big - n| <= 1/2 + |small| < 1.
  const r = clamp(add(sub(big, nf), small), num(-1), num(1));
  return timesPow2(expm1Near0(mul(r, num(Math.LN2))), integral(nf));
}

/**
 * x^y as JavaScript's Math.pow: products for integral |y| <= 4 (`powProducts`; y = 0 gives 1
 * even for NaN x), else 2^(y log2 |x|) (`powMagnitude`) with the IEEE cases from the bits and
 * comparisons: 0 or inf where |x| is 0 or inf or y is infinite (NaN for |x| = 1 and infinite y),
 * negated for negative x (its sign bit) and odd y, NaN for negative x and non-integral y (unless
 * |x| is 0 or inf) and where x or y is NaN. A constant y picks its branch here (x^2 of a literal
 * 2 is one product), with the bits of the selecting expression. Relative error within 2.5e-7
 * where x^y is a normal float32 (1.9e-7 measured for the exponential, 2.4e-7 the bound of
 * x^-4 = 1 / (x^2)^2), except that for integral y in [-4, -1] x^y is 0 where x^-y overflows
 * (x^y below 2^-128) and loses precision where x^-y is subnormal.
 */
export function powF32(x: Expr, y: Expr): Expr {
  const ax = abs(x), ay = abs(y);
  const integer = eq(floor(y), y);
  if (y.kind === "const") {
    const v = f(y.value);
    return Number.isInteger(v) && Math.abs(v) <= POW_PRODUCTS ? powProducts(x, y) : general();
  }
  return select(and(integer, le(ay, num(POW_PRODUCTS))), powProducts(x, y), general());

  function general(): Expr {
    const odd = and(and(integer, lt(ay, num(2 ** 24))), eq(and(truncate(y), int(1)), int(1)));
    const edge = or(or(eq(ax, num(0)), eq(ax, num(Infinity))), eq(ay, num(Infinity)));
    const grows = eq(gt(ax, num(1)), gt(y, num(0)));
    const magnitude = select(edge, select(grows, num(Infinity), num(0)), powMagnitude(ax, y));
    const negative = lt(bits(x), int(0));
    const signed = select(and(negative, odd), neg(magnitude), magnitude);
    const nan = or(
      or(ne(x, x), ne(y, y)),
      or(and(eq(ax, num(1)), eq(ay, num(Infinity))), and(negative, and(not(integer), not(edge)))),
    );
    return select(nan, num(NaN), signed);
  }
}

/** Each float32 math function defined here, by the IR's name. */
export const F32_DEFINITIONS: Readonly<Record<MathFn, (...args: Expr[]) => Expr>> = {
  exp: expF32,
  expm1: expm1F32,
  log: logF32,
  log1p: log1pF32,
  tanh: tanhF32,
  logistic: logisticF32,
  erf: erfF32,
  erf_inv: erfInvF32,
  sin: sinF32,
  cos: cosF32,
  pow: powF32,
  atan2: atan2F32,
};
