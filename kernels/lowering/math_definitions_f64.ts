/**
 * Float64 math functions written once as kernel IR expressions, as the float32 ones of
 * math_definitions.ts: range reduction, a polynomial on the reduced range and the rescaling, in
 * the IR's own operations (`fma`, `select`, `convert`, int32 arithmetic on exponents, and
 * `highWord` / `withHighWord` for a float64's sign and exponent bits), so that the eager and
 * fused wasm kernels run one expression, four lanes at a time as two f64x2, and give the same
 * bits. Float64 exists on wasm only (WGSL has none), where `fma` rounds once (`relaxed_madd`
 * on FMA hardware). The reductions and polynomials are fdlibm's (exp's in fmas, with a Taylor
 * polynomial instead of its rational form, which would divide; erf's rational forms with each
 * lane's coefficients, one division for two intervals). Stated maximum errors, checked by
 * tests/lowered_math_test.ts against the JavaScript engine's `Math` (itself within 1 ulp; erf
 * and erf_inv against a BigInt reference, tests/util/erf_reference.ts) over grids with their
 * corners (subnormals, the overflow and underflow thresholds, the edges of each reduction,
 * infinities, NaN, -0), and the largest measured there (float64 rounding alone is 1.1e-16):
 *
 * | function | bound                                                        | measured |
 * | -------- | ------------------------------------------------------------ | -------- |
 * | exp      | rel 3e-16 (results below 2^-1022: within one subnormal step) | 2.2e-16  |
 * | expm1    | rel 4e-16                                                    | 2.5e-16  |
 * | log      | rel 3e-16                                                    | 2.2e-16  |
 * | log1p    | rel 4e-16                                                    | 3.2e-16  |
 * | tanh     | rel 6e-16                                                    | 4.5e-16  |
 * | logistic | rel 6e-16                                                    | 2.6e-16  |
 * | sin, cos | abs 2e-16 for abs(x) <= 1e9 (see `sinF64`)                   | 1.1e-16  |
 * | atan2    | rel 3e-16                                                    | 2.2e-16  |
 * | erf      | rel 3e-16                                                    | 2.2e-16  |
 * | erf_inv  | rel 4e-16 (of the exact inverse of y; condition number 3)    | 3.0e-16  |
 * | pow      | rel 3e-16; 4e-16 for integral y in [-4, -2] (see `powF64`)   | 2.2e-16  |
 *
 * Clamps are written `x < lo ? lo : x` (NaN passes through), which the wasm renderer turns into
 * one `pmax` (`pmin` for `hi < x ? hi : x`).
 * @module
 */
import type { Expr, MathFn } from "./kernel_ir.ts";
import { binaryExpr, compareExpr, select, unaryExpr } from "./ir_builders.ts";
import { POW_PRODUCTS, powProducts } from "./pow_products.ts";

/** A float64 constant. */
const num = (value: number): Expr => ({ kind: "const", dtype: "float64", value });
/** An int32 constant. */
const int = (value: number): Expr => ({ kind: "const", dtype: "int32", value: value | 0 });

const bin = (op: "add" | "sub" | "mul" | "div" | "and" | "or") => (a: Expr, b: Expr): Expr =>
  binaryExpr(op, a, b);
const add = bin("add"), sub = bin("sub"), mul = bin("mul"), div = bin("div");
const and = bin("and"), or = bin("or");
const cmp = (op: "lt" | "gt" | "eq" | "ne" | "ge") => (a: Expr, b: Expr): Expr =>
  compareExpr(op, a, b);
const lt = cmp("lt"), gt = cmp("gt"), eq = cmp("eq"), ne = cmp("ne"), ge = cmp("ge");
const neg = (a: Expr): Expr => unaryExpr("neg", a);
const abs = (a: Expr): Expr => unaryExpr("abs", a);
const fma = (a: Expr, b: Expr, c: Expr): Expr => ({ kind: "fma", dtype: a.dtype, a, b, c });
const shift = (op: "shl" | "shr") => (a: Expr, bits: number): Expr => ({
  kind: "shift",
  op,
  dtype: "int32",
  a,
  bits,
});
const shl = shift("shl"), shr = shift("shr");
/** A float64's high 32 bits. */
const high = (a: Expr): Expr => ({ kind: "highWord", dtype: "int32", a });
/** `a` with its high 32 bits replaced by `h`'s. */
const withHigh = (a: Expr, h: Expr): Expr => ({
  kind: "withHighWord",
  dtype: "float64",
  a,
  high: h,
});
const toFloat = (a: Expr): Expr => ({ kind: "convert", dtype: "float64", a });
const toInt = (a: Expr): Expr => ({ kind: "convert", dtype: "int32", a });

/** `x` clamped to at most `hi`, NaN passing through (one `pmin` on wasm). */
const atMost = (x: Expr, hi: Expr): Expr => select(lt(hi, x), hi, x);
/** `x` clamped to at least `lo`, NaN passing through (one `pmax` on wasm). */
const atLeast = (x: Expr, lo: Expr): Expr => select(lt(x, lo), lo, x);
/** `x` clamped to [lo, hi], NaN passing through (a `pmin` and a `pmax` on wasm). */
const clamp = (x: Expr, lo: number, hi: number): Expr => atLeast(atMost(x, num(hi)), num(lo));

/** `c[0] + x (c[1] + x (c[2] + ...))` by Horner's rule in fmas, of expressions. */
const hornerOfExprs = (x: Expr, c: readonly Expr[]): Expr =>
  c.slice(0, -1).reduceRight((p, ci) => fma(p, x, ci), c[c.length - 1]);
/** `c[0] + x (c[1] + x (c[2] + ...))` by Horner's rule in fmas. */
const horner = (x: Expr, c: readonly number[]): Expr => hornerOfExprs(x, c.map(num));

/** `2^n` for int32 `n` in [-1022, 1023]: `n + 1023` in the exponent bits, the rest zero. */
const pow2 = (n: Expr): Expr => withHigh(num(0), shl(add(n, int(1023)), 20));

/** ln 2 split (fdlibm's): `n * LN2_HI` is exact for |n| < 2^21. */
const LN2_HI = 6.93147180369123816490e-01, LN2_LO = 1.90821492927058770002e-10;
/** (e^r - 1 - r) / r^2 on |r| <= ln(2)/2: Taylor's 1/k! for k = 2 ... 13 (truncation 2^-62). */
const EXPM1_Q = Array.from({ length: 12 }, (_, i) => {
  let factorial = 1;
  for (let k = 2; k <= i + 2; k++) factorial *= k;
  return 1 / factorial;
});

/**
 * x = n ln 2 + r with n = round(x log2 e) and r = (x - n LN2_HI) - n LN2_LO (the first exact),
 * and e^r - 1 = r + r^2 Q(r).
 */
function expReduced(xc: Expr): { n: Expr; em1: Expr } {
  const nf = unaryExpr("round", mul(xc, num(Math.LOG2E)));
  const r = fma(nf, num(-LN2_LO), fma(nf, num(-LN2_HI), xc));
  return { n: toInt(nf), em1: fma(mul(r, r), horner(r, EXPM1_Q), r) };
}

/** The arguments beyond which e^x is 0 or inf in float64 (with a margin). */
const EXP_LO = -746, EXP_HI = 710;

/** (1 + em1) 2^n as two power-of-two factors, so that it overflows and underflows once. */
function scaled(em1: Expr, n: Expr): Expr {
  const n1 = shr(n, 1), s1 = pow2(n1);
  return mul(fma(em1, s1, s1), pow2(sub(n, n1)));
}

/**
 * e^x: x = n ln 2 + r (`expReduced`), e^r = 1 + (r + r^2 Q(r)), times 2^n as two factors so that
 * results overflow to inf and underflow through the subnormals. The argument is clamped to
 * [-746, 710] first: outside, the result is 0 or inf; NaN passes through.
 */
export function expF64(x: Expr): Expr {
  const { n, em1 } = expReduced(clamp(x, EXP_LO, EXP_HI));
  return scaled(em1, n);
}

/** Below this e^x - 1 rounds to -1. */
const EXPM1_LO = -40;
/** Up to this |n|, 2^n - 1 is exact. */
const EXPM1_EXACT = 53;

/**
 * e^x - 1, accurate near 0: with x = n ln 2 + r as for exp, e^r - 1 itself where n is 0 (|x|
 * below ln(2)/2), 2^n (e^r - 1) + (2^n - 1) up to |n| = 53 (2^n - 1 exact), e^x - 1 beyond; the
 * argument clamped to [-40, 710] (-1 and inf beyond), zeros giving themselves.
 */
export function expm1F64(x: Expr): Expr {
  const { n, em1 } = expReduced(clamp(x, EXPM1_LO, EXP_HI));
  const s = pow2(n);
  const moderate = fma(s, em1, sub(s, num(1)));
  const far = sub(scaled(em1, n), num(1));
  const y = select(eq(n, int(0)), em1, select(gt(abs(n), int(EXPM1_EXACT)), far, moderate));
  return select(eq(x, num(0)), x, y);
}

/** Beyond this tanh rounds to +-1. */
const TANH_CLAMP = 22;

/**
 * Hyperbolic tangent, odd by construction (fdlibm's): for a = |x| below 1, with e = expm1(-2a),
 * -e / (2 + e); from 1, with e = expm1(2a), 1 - 2 / (2 + e); given x's sign bit (so tanh(-x)
 * is exactly -tanh(x), -0 included); a is clamped to 22 (where it is 1).
 */
export function tanhF64(x: Expr): Expr {
  const a = atMost(abs(x), num(TANH_CLAMP));
  const small = lt(a, num(1));
  const e = expm1F64(mul(a, select(small, num(-2), num(2))));
  const q = div(select(small, neg(e), num(2)), add(e, num(2)));
  const t = select(small, q, sub(num(1), q));
  return select(lt(high(x), int(0)), neg(t), t);
}

/** Logistic sigmoid 1 / (1 + e^-x), from e = e^-|x| so that it never overflows. */
export function logisticF64(x: Expr): Expr {
  const e = expF64(neg(abs(x)));
  return div(select(ge(x, num(0)), num(1), e), add(e, num(1)));
}

/** (log(1 + f) - 2s + s f) / s for s = f / (2 + f), as a polynomial in s^2 (fdlibm's Lg1 ... Lg7). */
const LOG_LG = [
  6.666666666666735130e-01,
  3.999999999940941908e-01,
  2.857142874366239149e-01,
  2.222219843214978396e-01,
  1.818357216161805012e-01,
  1.531383769920937332e-01,
  1.479819860511658591e-01,
];

/** The high word of the smallest normal float64 and of +inf (above: NaNs). */
const MIN_NORMAL = 2 ** -1022, INF_HIGH = 0x7ff00000;
/** The mantissa bits of a high word, and its exponent bits of 1. */
const MANTISSA_HIGH = 0x000fffff, ONE_HIGH = 0x3ff00000;
/** Added to a high word's mantissa, carries into bit 20 exactly where the mantissa is sqrt(2) or above. */
const SQRT2_CARRY = 0x95f64;

/**
 * x = 2^k (1 + f) with 1 + f in [sqrt(1/2), sqrt(2)) (fdlibm's: the mantissa's high word given
 * the exponent of 1 or of 1/2; subnormals, where `subnormals`, scaled by 2^54 first), for a
 * positive finite x.
 */
function reduceLog(x: Expr, subnormals: boolean): { f: Expr; k: Expr } {
  const tiny = lt(x, num(MIN_NORMAL));
  const xs = subnormals ? select(tiny, mul(x, num(2 ** 54)), x) : x;
  const hx = high(xs);
  const bias = subnormals ? select(tiny, int(1023 + 54), int(1023)) : int(1023);
  const m = and(hx, int(MANTISSA_HIGH));
  const carry = and(add(m, int(SQRT2_CARRY)), int(1 << 20));
  const k = add(sub(shr(hx, 20), bias), shr(carry, 20));
  const f = sub(withHigh(xs, or(m, sub(int(ONE_HIGH), carry))), num(1));
  return { f, k };
}

/** s = f / (2 + f), the halved square of f and R(s^2) of fdlibm's log. */
function logParts(f: Expr): { s: Expr; hfsq: Expr; r: Expr } {
  const s = div(f, add(f, num(2)));
  const z = mul(s, s);
  return { s, hfsq: mul(num(0.5), mul(f, f)), r: mul(z, horner(z, LOG_LG)) };
}

/**
 * log(2^k (1 + f)) + c (c: a correction much smaller than the result, or none), fdlibm's:
 * k LN2_HI - ((f^2 / 2 - (s (f^2 / 2 + R) + (k LN2_LO + c))) - f).
 */
function logOfReduced(f: Expr, k: Expr, c: Expr | null): Expr {
  const { s, hfsq, r } = logParts(f);
  const dk = toFloat(k);
  const low = fma(dk, num(LN2_LO), c ?? num(0));
  const t = sub(sub(hfsq, fma(s, add(hfsq, r), low)), f);
  return sub(mul(dk, num(LN2_HI)), t);
}

/** `y`, the logarithm of a positive finite `x`, or: -inf at zeros, NaN below, x at +inf and NaN. */
function logSpecials(x: Expr, y: Expr): Expr {
  const hx = high(x);
  const special = select(lt(hx, int(0)), num(NaN), select(ge(hx, int(INF_HIGH)), x, y));
  return select(eq(x, num(0)), num(-Infinity), special);
}

/** Natural logarithm: fdlibm's reduction (`reduceLog`) and polynomial (`logOfReduced`). */
export function logF64(x: Expr): Expr {
  const { f, k } = reduceLog(x, true);
  return logSpecials(x, logOfReduced(f, k, null));
}

/**
 * log(1 + x), accurate near 0 (fdlibm's): for x in [sqrt(1/2) - 1, sqrt(2) - 1] the polynomial
 * of log's reduced range on f = x itself; elsewhere log of u = 1 + x, corrected by the rounding
 * error of u, c / u with c = (1 + x) - u computed exactly.
 */
export function log1pF64(x: Expr): Expr {
  const near0 = and(ge(x, num(Math.SQRT1_2 - 1)), lt(x, num(Math.SQRT2 - 1)));
  const { s, hfsq, r } = logParts(x);
  const small = sub(x, sub(hfsq, mul(s, add(hfsq, r))));
  const u = add(x, num(1));
  const { f, k } = reduceLog(u, false);
  const c = div(select(gt(k, int(0)), sub(num(1), sub(u, x)), sub(x, sub(u, num(1)))), u);
  return select(near0, small, logSpecials(u, logOfReduced(f, k, c)));
}

/**
 * pi/2 for x = n pi/2 + r (fdlibm's): `PIO2_1` has 33 significant bits, so that n `PIO2_1` is
 * exact for |n| < 2^20, and `PIO2_1T` is pi/2 - `PIO2_1` to float64 precision.
 */
const PIO2_1 = 1.57079632673412561417e+00, PIO2_1T = 6.07710050650619224932e-11;
/** (sin r - r) / r^3 in r^2 on |r| <= pi/4 (fdlibm's S1 ... S6). */
const SIN_S = [
  -1.66666666666666324348e-01,
  8.33333333332248946124e-03,
  -1.98412698298579493134e-04,
  2.75573137070700676789e-06,
  -2.50507602534068634195e-08,
  1.58969099521155010221e-10,
];
/** (cos r - 1 + r^2 / 2) / r^4 in r^2 on |r| <= pi/4 (fdlibm's C1 ... C6). */
const COS_C = [
  4.16666666666666019037e-02,
  -1.38888888888741095749e-03,
  2.48015872894767294178e-05,
  -2.75573143513906633035e-07,
  2.08757232129817482790e-09,
  -1.13596475577881948265e-11,
];
/** The bound the reduced argument is clamped to where the reduction has lost it (huge a). */
const R_MAX = 1.2, TAIL_MAX = 2 ** -50;

/**
 * a = n pi/2 + (r + t) for a >= 0 (fdlibm's medium reduction, in fmas): n = round(a 2/pi),
 * k = n mod 4 (the quadrant, exact below 2^53), r + t = (a - n `PIO2_1`) - n `PIO2_1T`, the
 * first exact for every n (one fma: its exact value is a multiple of `PIO2_1`'s last bit below
 * 1) and t the rounding error of the second; r + t within 1e-19 of a - n pi/2 for a below 1e9,
 * the error growing with n beyond. Where the reduction has lost r (a beyond 1e15 or so), r and
 * t are clamped to where the polynomials stay within [-1, 1].
 */
function quadrant(a: Expr): { k: Expr; r: Expr; t: Expr } {
  const nf = unaryExpr("round", mul(a, num(2 / Math.PI)));
  const r1 = fma(nf, num(-PIO2_1), a);
  const w = mul(nf, num(PIO2_1T));
  const r = sub(r1, w);
  const t = sub(sub(r1, r), w);
  const k = toInt(fma(unaryExpr("floor", mul(nf, num(0.25))), num(-4), nf));
  return { k, r: clamp(r, -R_MAX, R_MAX), t: clamp(t, -TAIL_MAX, TAIL_MAX) };
}

/** sin(r + t) for |r| <= pi/4, |t| tiny (fdlibm's __kernel_sin, its polynomial by Horner). */
function sinKernel(r: Expr, t: Expr): Expr {
  const z = mul(r, r), v = mul(z, r);
  const p = horner(z, SIN_S.slice(1));
  // r - ((z (t/2 - v p) - t) - v S1)
  return sub(r, sub(fma(z, fma(v, neg(p), mul(t, num(0.5))), neg(t)), mul(v, num(SIN_S[0]))));
}

/** cos(r + t) for |r| <= pi/4, |t| tiny (fdlibm's __kernel_cos, its polynomial by Horner). */
function cosKernel(r: Expr, t: Expr): Expr {
  const z = mul(r, r);
  const hz = mul(z, num(0.5)), w = sub(num(1), hz);
  // w + (((1 - w) - hz) + (z^2 C(z) - r t))
  const tail = fma(mul(z, z), horner(z, COS_C), mul(neg(r), t));
  return add(w, add(sub(sub(num(1), w), hz), tail));
}

/** The sign bit of a high word. */
const SIGN_HIGH = 0x80000000 | 0;

/** `v` (non-negative) given `x`'s sign bit. */
const withSignOf = (v: Expr, x: Expr): Expr =>
  withHigh(v, or(high(v), and(high(x), int(SIGN_HIGH))));

/**
 * sin a for a = |x| reduced (`quadrant`) and a phase of 0 or 1 quadrants: sin, cos, -sin, -cos
 * of the reduced argument for n + phase = 0, 1, 2, 3 mod 4, the sign flipped by adding 2^31 to
 * the high word (and `flip`'s); NaN where a is inf or NaN.
 */
function sinOfQuadrant(a: Expr, phase: 0 | 1, flip: Expr): Expr {
  const { k, r, t } = quadrant(a);
  const q = phase ? add(k, int(phase)) : k;
  const v = select(eq(and(q, int(1)), int(0)), sinKernel(r, t), cosKernel(r, t));
  const y = withHigh(v, add(high(v), add(shl(and(q, int(2)), 30), flip)));
  return select(lt(high(a), int(INF_HIGH)), y, num(NaN));
}

/**
 * Sine, odd by construction: of |x| (`sinOfQuadrant`), given x's sign bit (so -0 gives -0).
 * Absolute error within 2e-16 for |x| up to 1e9 (its reduction's range); measured 6e-15 up to
 * 1e12 and 6e-12 up to 1e15; beyond, only within [-1, 1]. Inf and NaN give NaN.
 */
export function sinF64(x: Expr): Expr {
  return sinOfQuadrant(abs(x), 0, and(high(x), int(SIGN_HIGH)));
}

/** Cosine, even by construction: sin of |x| a quadrant on (`sinOfQuadrant`); range as sine's. */
export function cosF64(x: Expr): Expr {
  return sinOfQuadrant(abs(x), 1, int(0));
}

/** (t - atan t) / t^3 in t^2 on |t| <= 7/16 (fdlibm's aT0 ... aT10). */
const ATAN_T = [
  3.33333333333329318027e-01,
  -1.99999999998764832476e-01,
  1.42857142725034663711e-01,
  -1.11111104054623557880e-01,
  9.09088713343650656196e-02,
  -7.69187620504482999495e-02,
  6.66107313738753120669e-02,
  -5.83357013379057348645e-02,
  4.97687799461593236017e-02,
  -3.65315727442169155270e-02,
  1.62858201153657823623e-02,
];
/** atan(1/2) and atan(1) = pi/4 in two parts (fdlibm's atanhi, atanlo). */
const ATAN_HALF = [4.63647609000806093515e-01, 2.26987774529616870924e-17];
const ATAN_ONE = [7.85398163397448278999e-01, 3.06161699786838301793e-17];
/** pi and pi/2 in two parts. */
const PI = [3.1415926535897931160e+00, 1.2246467991473531772e-16];
const PIO2 = [1.5707963267948965580e+00, 6.123233995736766e-17];

/**
 * atan t for t in [0, 1] (fdlibm's): below 7/16 t - t^3 P(t^2); up to 11/16 atan(1/2) + atan u
 * for u = (2t - 1) / (2 + t); above pi/4 + atan u for u = (t - 1) / (t + 1); each a + atan u as
 * a_hi - ((u^3 P(u^2) - a_lo) - u).
 */
function atanUnit(t: Expr): Expr {
  const low = lt(t, num(7 / 16)), mid = lt(t, num(11 / 16));
  const pick = (a: Expr, b: Expr, c: Expr) => select(low, a, select(mid, b, c));
  const u = pick(
    t,
    div(fma(t, num(2), num(-1)), add(t, num(2))),
    div(sub(t, num(1)), add(t, num(1))),
  );
  const [hi, lo] = [0, 1].map((i) => pick(num(0), num(ATAN_HALF[i]), num(ATAN_ONE[i])));
  const z = mul(u, u);
  return sub(hi, sub(fma(mul(u, z), horner(z, ATAN_T), neg(lo)), u));
}

/**
 * Four-quadrant arctangent of y / x, as JavaScript's Math.atan2(y, x) (and float32's
 * `atan2F32`): t = min / max of |x| and |y| in [0, 1] (0 where both are 0, 1 where both are
 * infinite), atan t (`atanUnit`), then the octant, atan t, pi/2 - atan t, pi - atan t or
 * pi/2 + atan t by whether |y| > |x| and x's sign bit (so -0 gives pi), with the low parts of
 * pi and pi/2, given y's sign bit; NaN in either gives NaN. Relative error within 3e-16.
 */
export function atan2F64(y: Expr, x: Expr): Expr {
  const ay = abs(y), ax = abs(x);
  const steep = lt(ax, ay);
  const lo = select(steep, ax, ay), hi = select(steep, ay, ax);
  const t = select(eq(lo, hi), select(eq(hi, num(0)), num(0), num(1)), div(lo, hi));
  const at = atanUnit(t);
  const west = lt(high(x), int(0));
  const base = (i: number) => select(steep, num(PIO2[i]), select(west, num(PI[i]), num(0)));
  const angle = add(base(0), add(base(1), select(ne(steep, west), neg(at), at)));
  return select(or(ne(x, x), ne(y, y)), num(NaN), withSignOf(angle, y));
}

/** erf(a) - erx below 0.84375 and erf(a) / a - 1 ... : fdlibm's rational forms (see `erfNear`). */
const ERX = 8.45062911510467529297e-01;
/** fdlibm's pp0 ... pp4 (erf(a) / a - 1 = P / Q in a^2 below 0.84375), padded to pa's length. */
const ERF_PP = [
  1.28379167095512558561e-01,
  -3.25042107247001499370e-01,
  -2.84817495755985104766e-02,
  -5.77027029648944159157e-03,
  -2.37630166566501626084e-05,
  0,
  0,
];
/** fdlibm's 1, qq1 ... qq5, padded. */
const ERF_QQ = [
  1,
  3.97917223959155352819e-01,
  6.50222499887672944485e-02,
  5.08130628187576562776e-03,
  1.32494738004321644526e-04,
  -3.96022827877536812320e-06,
  0,
];
/** fdlibm's pa0 ... pa6 (erf(a) - erx = P / Q in a - 1 on [0.84375, 1.25)). */
const ERF_PA = [
  -2.36211856075265944077e-03,
  4.14856118683748331666e-01,
  -3.72207876035701323847e-01,
  3.18346619901161753674e-01,
  -1.10894694282396677476e-01,
  3.54783043256182359371e-02,
  -2.16637559486879084300e-03,
];
/** fdlibm's 1, qa1 ... qa6. */
const ERF_QA = [
  1,
  1.06420880400844228286e-01,
  5.40397917702171048937e-01,
  7.18286544141962662868e-02,
  1.26171219808761642112e-01,
  1.36370839120290507362e-02,
  1.19844998467991074170e-02,
];
/**
 * fdlibm's ra0 ... ra7 and 1, sa1 ... sa8 (log(a erfc a) + a^2 + 0.5625 = R / S in 1 / a^2 on
 * [1.25, 1/0.35)), and rb0 ... rb6, 1, sb1 ... sb7 (on [1/0.35, 6)), padded to one length.
 */
const ERFC_RA = [
  -9.86494403484714822705e-03,
  -6.93858572707181764372e-01,
  -1.05586262253232909814e+01,
  -6.23753324503260060396e+01,
  -1.62396669462573470355e+02,
  -1.84605092906711035994e+02,
  -8.12874355063065934246e+01,
  -9.81432934416914548592e+00,
];
const ERFC_SA = [
  1,
  1.96512716674392571292e+01,
  1.37657754143519042600e+02,
  4.34565877475229228821e+02,
  6.45387271733267880336e+02,
  4.29008140027567833386e+02,
  1.08635005541779435134e+02,
  6.57024977031928170135e+00,
  -6.04244152148580987438e-02,
];
const ERFC_RB = [
  -9.86494292470009928597e-03,
  -7.99283237680523006574e-01,
  -1.77579549177547519889e+01,
  -1.60636384855821916062e+02,
  -6.37566443368389627722e+02,
  -1.02509513161107724954e+03,
  -4.83519191608651397019e+02,
  0,
];
const ERFC_SB = [
  1,
  3.03380607434824582924e+01,
  3.25792512996573918826e+02,
  1.53672958608443695994e+03,
  3.19985821950859553908e+03,
  2.55305040643316442583e+03,
  4.74528541206955367215e+02,
  -2.24409524465858183362e+01,
  0,
];

/**
 * Horner's rule with each lane's coefficients: `a[i]` where `cond`, else `b[i]` (of one length;
 * zero leading coefficients change no bits).
 */
const hornerOf = (cond: Expr, x: Expr, a: readonly number[], b: readonly number[]): Expr =>
  hornerOfExprs(x, a.map((ai, i) => select(cond, num(ai), num(b[i]))));

/** Where erf's rational forms in 1 / a^2 (`erfcTail`) begin, and beyond which erf is 1. */
const ERF_NEAR = 1.25, ERF_ONE = 6;

/**
 * erf a for 0 <= a < 1.25 (fdlibm's): below 0.84375 a + a P/Q (P, Q in a^2), above
 * erx + P/Q (in a - 1), one division for both (each lane's coefficients).
 */
function erfNear(a: Expr): Expr {
  const small = lt(a, num(0.84375));
  const v = select(small, mul(a, a), sub(a, num(1)));
  const y = div(hornerOf(small, v, ERF_PP, ERF_PA), hornerOf(small, v, ERF_QQ, ERF_QA));
  return fma(select(small, a, num(1)), y, select(small, a, num(ERX)));
}

/**
 * erfc a for 1.25 <= a <= 6 (fdlibm's), relatively accurate: e^(-a^2 - 0.5625 + R/S) / a with R,
 * S in 1 / a^2. The exponent as A + B (a^2 = h + l exactly by an fma, the two sums' rounding
 * errors exact by Fast2Sum) and e^(A + B) = e^A (1 + B) (|B| below 1e-14), instead of fdlibm's
 * second exp.
 */
function erfcTail(a: Expr): Expr {
  const at = clamp(a, ERF_NEAR, ERF_ONE);
  const z = div(num(1), mul(at, at));
  const mid = lt(at, num(1 / 0.35));
  const q = div(hornerOf(mid, z, ERFC_RA, ERFC_RB), hornerOf(mid, z, ERFC_SA, ERFC_SB));
  const h = mul(at, at), l = fma(at, at, neg(h));
  const a1 = sub(neg(h), num(0.5625)), e1 = sub(sub(neg(h), a1), num(0.5625));
  const big = add(a1, q), e2 = add(sub(a1, big), q);
  const e = expF64(big);
  return div(fma(e, sub(add(e1, e2), l), e), at);
}

/**
 * Error function, odd by construction: of a = |x|, `erfNear` below 1.25, 1 - `erfcTail` up to
 * 6, 1 from 6 (where erf rounds to 1), given x's sign bit; NaN gives NaN.
 */
export function erfF64(x: Expr): Expr {
  const a = abs(x);
  const far = select(ge(a, num(ERF_ONE)), num(1), sub(num(1), erfcTail(a)));
  return withSignOf(select(lt(a, num(ERF_NEAR)), erfNear(a), far), x);
}

/**
 * erf_inv(y) / y as a polynomial in w - 2.5 for w = -log(1 - y^2) below 5, and in sqrt(w) - 4.2
 * from 5 to 38 (beyond the largest w of a float64 below 1, 36.05): least-squares fits, relative
 * error 6.6e-9 and 1.1e-8.
 */
const ERF_INV_P = [
  1.501409359581884,
  0.24664027848076772,
  -0.004177388473885621,
  -0.0012527252269216237,
  0.00021834588677247416,
  -4.973069666664292e-06,
  -3.463093069545961e-06,
  4.682669730929516e-07,
  2.3264800120591994e-08,
  -8.941414062595583e-09,
];
const ERF_INV_Q = [
  4.041726360154372,
  1.009902205620586,
  0.0008074792667064197,
  -0.0006508602945565416,
  0.00022768555814450678,
  -7.443621551670786e-05,
  2.893215044278604e-05,
  -9.826480087389118e-06,
  4.556842727844204e-06,
  -5.498680512140307e-06,
  3.27728991295706e-06,
  -2.9894968044391966e-07,
  -3.293625237738408e-07,
  8.06227809419701e-08,
];

/**
 * Inverse error function, odd by construction: of a = |y|, x0 = a P(w) (`ERF_INV_P`,
 * `ERF_INV_Q`), then one Halley step x0 - d / (1 + x0 d) for d = (erf x0 - a) / erf'(x0), the
 * residual as `erfNear` x0 - a below 1.25 and (1 - a) - `erfcTail` x0 above (1 - a exact, so
 * that it keeps its precision as a nears 1); given y's sign bit. +-1 give +-inf, |y| > 1 and NaN
 * give NaN.
 */
export function erfInvF64(y: Expr): Expr {
  const a = abs(y);
  const w = neg(logF64(mul(sub(num(1), a), add(num(1), a))));
  const root = unaryExpr("sqrt", w);
  const p = select(
    lt(w, num(5)),
    horner(sub(w, num(2.5)), ERF_INV_P),
    horner(sub(root, num(4.2)), ERF_INV_Q),
  );
  const x0 = mul(a, p);
  const residual = select(
    lt(x0, num(ERF_NEAR)),
    sub(erfNear(x0), a),
    sub(sub(num(1), a), erfcTail(x0)),
  );
  const slope = mul(num(2 / Math.sqrt(Math.PI)), expF64(neg(mul(x0, x0))));
  const d = div(residual, slope);
  const x = sub(x0, div(d, fma(x0, d, num(1))));
  return withSignOf(select(eq(a, num(1)), num(Infinity), x), y);
}

/** 2/3 in two parts: the float64 nearest, and the rest (exactly 2^-53 / 3 to float64 precision). */
const TWO_THIRDS_HI = 2 / 3, TWO_THIRDS_LO = 2 ** -53 / 3;
/** (2 atanh s - 2s - 2s^3/3) / s^5 in z = s^2: Taylor's 2 / (2i + 5), truncation 2^-65 on |s| <= 3 - 2 sqrt(2). */
const ATANH_T = Array.from({ length: 11 }, (_, i) => 2 / (2 * i + 5));

/** `a * b` as hi + lo exactly (one product, one fma). */
function twoProduct(a: Expr, b: Expr): { hi: Expr; lo: Expr } {
  const hi = mul(a, b);
  return { hi, lo: fma(a, b, neg(hi)) };
}

/**
 * log |x| = hi + lo to about 2^-64 relatively, for positive finite ax: ax = 2^k (1 + f)
 * (`reduceLog`), log(1 + f) = 2 atanh s for s = f / (2 + f) = sh + sl (2 + f = dh + dl by
 * Fast2Sum, sh by one division, sl from its exact residual), as 2 sh + 2 sl (1 + s^2) +
 * (2/3) s^3 + s^5 T(s^2), the cube a double-double product (`twoProduct`), the sums of the large
 * parts by Fast2Sum (lo below an ulp of hi, so that y lo is small); plus k ln 2 (`LN2_HI` exact
 * times k).
 */
function logSplit(ax: Expr): { hi: Expr; lo: Expr } {
  const { f, k } = reduceLog(ax, true);
  const dh = add(f, num(2)), dl = sub(f, sub(dh, num(2)));
  const sh = div(f, dh);
  const sl = div(sub(fma(neg(sh), dh, f), mul(sh, dl)), dh);
  const z = twoProduct(sh, sh);
  const cube = twoProduct(z.hi, sh);
  const cubeLo = fma(z.lo, sh, cube.lo);
  const third = twoProduct(cube.hi, num(TWO_THIRDS_HI));
  const thirdLo = fma(cube.hi, num(TWO_THIRDS_LO), fma(cubeLo, num(TWO_THIRDS_HI), third.lo));
  const fifth = mul(mul(cube.hi, z.hi), horner(z.hi, ATANH_T));
  const twoS = mul(sh, num(2));
  const head = add(twoS, third.hi);
  const rest = add(
    add(sub(twoS, head), third.hi),
    add(fma(mul(sl, num(2)), z.hi, mul(sl, num(2))), add(thirdLo, fifth)),
  );
  const mh = add(head, rest), ml = add(sub(head, mh), rest);
  const dk = toFloat(k);
  const kh = mul(dk, num(LN2_HI));
  const hi = add(kh, mh);
  return { hi, lo: add(add(sub(kh, hi), mh), fma(dk, num(LN2_LO), ml)) };
}

/** Beyond this |w_hi| the low part of y log |x| is dropped (e^w is 0 or inf there anyway). */
const POW_W_MAX = 1000;

/**
 * |x|^y for positive finite ax and finite y: e^w for w = y log ax = wh + wl (`logSplit`, the
 * product to double-double by an fma), reduced as exp's (`expReduced`) with wl added to r, and
 * scaled by 2^n as two factors (overflow to inf, underflow through the subnormals).
 */
function powMagnitude(ax: Expr, y: Expr): Expr {
  const g = logSplit(ax);
  const w = twoProduct(y, g.hi);
  const wh = w.hi;
  const wl = select(lt(abs(wh), num(POW_W_MAX)), fma(y, g.lo, w.lo), num(0));
  const nf = unaryExpr("round", mul(clamp(wh, EXP_LO, EXP_HI), num(Math.LOG2E)));
  const r = add(fma(nf, num(-LN2_LO), fma(nf, num(-LN2_HI), clamp(wh, EXP_LO, EXP_HI))), wl);
  return scaled(fma(mul(r, r), horner(r, EXPM1_Q), r), toInt(nf));
}

/**
 * x^y as JavaScript's Math.pow, in the scheme of float32's `powF32`: products for integral
 * |y| <= 4 (`powProducts`; y = 0 gives 1 even for NaN x), else e^(y log |x|) (`powMagnitude`)
 * with the IEEE cases: 0 or inf where |x| is 0 or inf or y is infinite (NaN for |x| = 1 and
 * infinite y), negated for negative x (its sign bit) and odd y (y / 2 not integral), NaN for
 * negative x and non-integral y (unless |x| is 0 or inf) and where x or y is NaN. A constant y
 * picks its branch here. Within the module's bound but that, as in float32, for integral y in
 * [-4, -1] x^y is 0 where x^-y overflows (x^y below 2^-1024) and loses precision where x^-y is
 * subnormal; and the bound needs `fma` rounded once (wasm's `relaxed_madd` on FMA hardware), as
 * `logSplit`'s exact products do: rounded twice, 1e-13 was measured.
 */
export function powF64(x: Expr, y: Expr): Expr {
  const ax = abs(x), ay = abs(y);
  const floor = (a: Expr) => unaryExpr("floor", a);
  const integer = eq(floor(y), y);
  if (y.kind === "const") {
    const v = y.value;
    return Number.isInteger(v) && Math.abs(v) <= POW_PRODUCTS ? powProducts(x, y) : general();
  }
  return select(and(integer, lt(ay, num(POW_PRODUCTS + 1))), powProducts(x, y), general());

  function general(): Expr {
    const half = mul(y, num(0.5));
    const odd = and(integer, ne(floor(half), half));
    const edge = or(or(eq(ax, num(0)), eq(ax, num(Infinity))), eq(ay, num(Infinity)));
    const grows = eq(gt(ax, num(1)), gt(y, num(0)));
    const magnitude = select(edge, select(grows, num(Infinity), num(0)), powMagnitude(ax, y));
    const negative = lt(high(x), int(0));
    const signed = select(and(negative, odd), neg(magnitude), magnitude);
    const nan = or(
      or(ne(x, x), ne(y, y)),
      or(
        and(eq(ax, num(1)), eq(ay, num(Infinity))),
        and(negative, and(unaryExpr("not", integer), unaryExpr("not", edge))),
      ),
    );
    return select(nan, num(NaN), signed);
  }
}

/** Each float64 math function defined here, by the IR's name. */
export const F64_DEFINITIONS: Readonly<Record<MathFn, (...args: Expr[]) => Expr>> = {
  exp: expF64,
  expm1: expm1F64,
  log: logF64,
  log1p: log1pF64,
  tanh: tanhF64,
  logistic: logisticF64,
  sin: sinF64,
  cos: cosF64,
  atan2: atan2F64,
  erf: erfF64,
  erf_inv: erfInvF64,
  pow: powF64,
};
