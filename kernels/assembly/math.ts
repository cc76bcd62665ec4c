/**
 * Vectorised special functions on f32x4, and scalar f64 ones the standard library lacks.
 * Self-contained (no imports): `deno task build:kernels` copies this source into
 * kernels/wasm/math_source.ts, which every jit-generated kernel module includes, so fused
 * kernels run these functions too and agree with the eager kernels bit for bit.
 *
 * The f32x4 functions reduce the argument, then evaluate a polynomial whose coefficients are
 * near-minimax fits (Lawson's iteration against 40-digit references) on the reduced range. Stated
 * maximum errors, checked by tests/wasm_math_test.ts against float64 references over wide grids
 * (rel: relative error; abs: absolute error):
 *
 * | function | bound on the stated range                                   |
 * | -------- | ----------------------------------------------------------- |
 * | exp      | rel 2e-7 (results below 2^-126 lose precision as subnormals) |
 * | expm1    | rel 2e-7                                                    |
 * | log      | rel 3e-7                                                    |
 * | log1p    | rel 3e-7                                                    |
 * | tanh     | rel 3e-7                                                    |
 * | logistic | rel 3e-7                                                    |
 * | erf      | abs 2e-7; rel 3e-7                                          |
 * | erf_inv  | rel 5e-7 for abs(y) <= 1 - 2^-20                            |
 * | sin, cos | abs 2e-7 for abs(x) <= 1e5                                  |
 *
 * Constants live in mutable globals that `initMath` fills once: V8 rebuilds a v128 constant
 * with several instructions at every use inside a loop, but reads a global with one load. Clamps
 * use `pmin`/`pmax` with the argument first (one instruction each; a NaN argument passes through)
 * and rounding to integers adds and subtracts 1.5 * 2^23 (or 2^52) instead of converting.
 *
 * The f64 erf and erf_inv follow the reference backend's series, continued fraction and Newton
 * steps, so they agree with it to about 1e-15.
 */

// ---------------------------------------------------------------- constants

const ZERO: v128 = i32x4(0, 0, 0, 0);

/** Shared lane constants. */
export let F_ZERO = ZERO, F_HALF = ZERO, F_ONE = ZERO, F_TWO = ZERO, F_INF = ZERO, F_NAN = ZERO;
export let I_ONE = ZERO, I_TWO = ZERO, SIGN_MASK = ZERO, B_ONE = ZERO;
export let D_ZERO = ZERO, D_ONE = ZERO;
let I_127 = ZERO, I_23 = ZERO, ROUND_MAGIC = ZERO, ROUND_MAGIC_F64 = ZERO;
let LOG2E = ZERO, LN2_HI = ZERO, LN2_LO = ZERO;
let EXP_HI = ZERO, EXP_LO = ZERO, EXPM1_HI = ZERO, EXPM1_LO = ZERO, EXPM1_OVERFLOW = ZERO;
let Q0 = ZERO, Q1 = ZERO, Q2 = ZERO, Q3 = ZERO, Q4 = ZERO, Q5 = ZERO;
let MIN_NORMAL = ZERO, TWO_POW_23 = ZERO, MANTISSA = ZERO, ONE_BITS = ZERO, SQRT2 = ZERO;
let L0 = ZERO, L1 = ZERO, L2 = ZERO, L3 = ZERO;
let TANH_CLAMP = ZERO;
let E0 = ZERO, E1 = ZERO, E2 = ZERO, E3 = ZERO, E4 = ZERO, E5 = ZERO, E6 = ZERO;
let R0 = ZERO, R1 = ZERO, R2 = ZERO, R3 = ZERO, R4 = ZERO, R5 = ZERO, R6 = ZERO, R7 = ZERO;
let R8 = ZERO, R9 = ZERO, R10 = ZERO, F_FOUR = ZERO, F_SIXTEEN = ZERO, T_MID = ZERO, T_SCALE = ZERO;
let P0 = ZERO, P1 = ZERO, P2 = ZERO, P3 = ZERO, P4 = ZERO, P5 = ZERO, P6 = ZERO, P7 = ZERO;
let P8 = ZERO, P9 = ZERO, W_MID = ZERO, W_SPLIT = ZERO, F_THREE = ZERO;
let V0 = ZERO, V1 = ZERO, V2 = ZERO, V3 = ZERO, V4 = ZERO, V5 = ZERO, V6 = ZERO, V7 = ZERO;
let V8 = ZERO, V9 = ZERO;
let TWO_OVER_PI = ZERO, PIO2_HI = ZERO, PIO2_LO = ZERO;
let S0 = ZERO, S1 = ZERO, S2 = ZERO, C0 = ZERO, C1 = ZERO, C2 = ZERO, F_MINUS_HALF = ZERO;

/** Fills the constant globals; the runtime calls it once after instantiating the module. */
export function initMath(): void {
  F_ZERO = f32x4.splat(0);
  D_ZERO = f64x2.splat(0);
  D_ONE = f64x2.splat(1);
  F_HALF = f32x4.splat(0.5);
  F_MINUS_HALF = f32x4.splat(-0.5);
  F_ONE = f32x4.splat(1);
  F_TWO = f32x4.splat(2);
  F_THREE = f32x4.splat(3);
  F_FOUR = f32x4.splat(4);
  F_SIXTEEN = f32x4.splat(16);
  F_INF = f32x4.splat(Infinity);
  F_NAN = f32x4.splat(NaN);
  I_ONE = i32x4.splat(1);
  I_TWO = i32x4.splat(2);
  I_127 = i32x4.splat(127);
  I_23 = i32x4.splat(23);
  B_ONE = i8x16.splat(1);
  SIGN_MASK = i32x4.splat(0x80000000);
  ROUND_MAGIC = f32x4.splat(12582912.0);
  ROUND_MAGIC_F64 = f64x2.splat(6755399441055744.0);
  // exp, expm1: x = n ln2 + r, ln 2 split so that n * LN2_HI is exact for |n| < 2^15.
  LOG2E = f32x4.splat(1.44269504);
  LN2_HI = f32x4.splat(0.693359375);
  LN2_LO = f32x4.splat(-2.12194440e-4);
  EXP_HI = f32x4.splat(89.0);
  EXP_LO = f32x4.splat(-104.0);
  EXPM1_HI = f32x4.splat(88.72283);
  EXPM1_LO = f32x4.splat(-18.0);
  EXPM1_OVERFLOW = i32x4.splat(24);
  // (e^r - 1 - r) / r^2 on |r| <= ln(2)/2.
  Q0 = f32x4.splat(0.5);
  Q1 = f32x4.splat(0.16666666);
  Q2 = f32x4.splat(0.04166636);
  Q3 = f32x4.splat(0.008333389);
  Q4 = f32x4.splat(0.0013940617);
  Q5 = f32x4.splat(0.00019845877);
  // log: 2 atanh(s) = 2s + s^3 (L0 + L1 s^2 + ...), |s| <= 0.1716.
  MIN_NORMAL = f32x4.splat(1.17549435e-38);
  TWO_POW_23 = f32x4.splat(8388608.0);
  MANTISSA = i32x4.splat(0x007fffff);
  ONE_BITS = i32x4.splat(0x3f800000);
  SQRT2 = f32x4.splat(1.41421356);
  L0 = f32x4.splat(0.66666667);
  L1 = f32x4.splat(0.4);
  L2 = f32x4.splat(0.28571429);
  L3 = f32x4.splat(0.22222222);
  TANH_CLAMP = f32x4.splat(9.0);
  // erf(x) / x as a polynomial in x^2 on [0, 1].
  E0 = f32x4.splat(1.1283792);
  E1 = f32x4.splat(-0.37612626);
  E2 = f32x4.splat(0.11283585);
  E3 = f32x4.splat(-0.026853813);
  E4 = f32x4.splat(0.0051883296);
  E5 = f32x4.splat(-0.00080102085);
  E6 = f32x4.splat(7.8539068e-05);
  // erfc(a) e^(a^2) on [1, 4] as a polynomial in t = (a - 2.5) / 1.5.
  R0 = f32x4.splat(0.21080637);
  R1 = f32x4.splat(-0.11152137);
  R2 = f32x4.splat(0.056110334);
  R3 = f32x4.splat(-0.026998289);
  R4 = f32x4.splat(0.012489144);
  R5 = f32x4.splat(-0.0056099413);
  R6 = f32x4.splat(0.002411346);
  R7 = f32x4.splat(-0.00091802248);
  R8 = f32x4.splat(0.00038469258);
  R9 = f32x4.splat(-0.00024439963);
  R10 = f32x4.splat(8.9609219e-05);
  T_MID = f32x4.splat(2.5);
  T_SCALE = f32x4.splat(0.6666667);
  // erf_inv(y) / y as a polynomial in w - 2.5 (w < 5) and in sqrt(w) - 3 (w >= 5).
  P0 = f32x4.splat(1.5014094);
  P1 = f32x4.splat(0.24664029);
  P2 = f32x4.splat(-0.0041773868);
  P3 = f32x4.splat(-0.0012527419);
  P4 = f32x4.splat(0.00021834444);
  P5 = f32x4.splat(-4.9633454e-06);
  P6 = f32x4.splat(-3.4627045e-06);
  P7 = f32x4.splat(4.6617012e-07);
  P8 = f32x4.splat(2.3232623e-08);
  P9 = f32x4.splat(-8.791017e-09);
  W_MID = f32x4.splat(2.5);
  W_SPLIT = f32x4.splat(5.0);
  V0 = f32x4.splat(2.8329769);
  V1 = f32x4.splat(1.0016748);
  V2 = f32x4.splat(0.0094387490);
  V3 = f32x4.splat(-0.0076353642);
  V4 = f32x4.splat(0.0057340485);
  V5 = f32x4.splat(-0.0036127867);
  V6 = f32x4.splat(0.0013742693);
  V7 = f32x4.splat(-3.9268317e-06);
  V8 = f32x4.splat(-0.00022535873);
  V9 = f32x4.splat(6.2242638e-05);
  // sin, cos: x = k pi/2 + r in f64, pi/2 split so that k * PIO2_HI is exact for |k| < 2^20.
  TWO_OVER_PI = f64x2.splat(0.6366197723675814);
  PIO2_HI = f64x2.splat(1.5707963267341256);
  PIO2_LO = f64x2.splat(6.077100506506192e-11);
  S0 = f32x4.splat(-0.16666655);
  S1 = f32x4.splat(0.0083321608);
  S2 = f32x4.splat(-0.00019515283);
  C0 = f32x4.splat(0.041666646);
  C1 = f32x4.splat(-0.0013887316);
  C2 = f32x4.splat(2.4433157e-05);
}

// ---------------------------------------------------------------- small helpers

// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  return f32x4.relaxed_madd(a, b, c);
}

/** Lanes where `mask` is set take `a`, the others `b`. */
// @ts-ignore: decorator
@inline function choose(mask: v128, a: v128, b: v128): v128 {
  return v128.bitselect(a, b, mask);
}

/** `x` clamped to [lo, hi]; NaN lanes stay NaN. */
// @ts-ignore: decorator
@inline function clamp(x: v128, lo: v128, hi: v128): v128 {
  return f32x4.pmax(f32x4.pmin(x, hi), lo);
}

/** `2^n` for integer lanes `n` in [-126, 127]. */
// @ts-ignore: decorator
@inline function pow2i(n: v128): v128 {
  return i32x4.shl(i32x4.add(n, I_127), 23);
}

// ---------------------------------------------------------------- exp, expm1

/** `e^r - 1` for |r| <= ln(2)/2: r + r^2 Q(r). */
// @ts-ignore: decorator
@inline function expm1Reduced(r: v128): v128 {
  let q = madd(Q5, r, Q4);
  q = madd(q, r, Q3);
  q = madd(q, r, Q2);
  q = madd(q, r, Q1);
  q = madd(q, r, Q0);
  return madd(f32x4.mul(r, r), q, r);
}

/**
 * e^x. With t = x log2(e) + 1.5 * 2^23, the integer n = round(x log2 e) sits in t's low
 * mantissa bits, so n and its float are a subtraction away.
 */
// @ts-ignore: decorator
@inline export function expF32x4(x: v128): v128 {
  const xc = clamp(x, EXP_LO, EXP_HI);
  const t = madd(xc, LOG2E, ROUND_MAGIC);
  const nf = f32x4.sub(t, ROUND_MAGIC);
  const n = i32x4.sub(t, ROUND_MAGIC);
  const r = f32x4.sub(f32x4.sub(xc, f32x4.mul(nf, LN2_HI)), f32x4.mul(nf, LN2_LO));
  const p = f32x4.add(expm1Reduced(r), F_ONE);
  // 2^n as two factors so that results overflow to inf and underflow through subnormals.
  const n1 = i32x4.shr_s(n, 1);
  return f32x4.mul(f32x4.mul(p, pow2i(n1)), pow2i(i32x4.sub(n, n1)));
}

/** e^x - 1, accurate near 0: 2^n (e^r - 1) + (2^n - 1), or (e^r) 2^n - 1 once 2^n >> 1. */
// @ts-ignore: decorator
@inline export function expm1F32x4(x: v128): v128 {
  const xc = clamp(x, EXPM1_LO, EXPM1_HI);
  const t = madd(xc, LOG2E, ROUND_MAGIC);
  const nf = f32x4.sub(t, ROUND_MAGIC);
  const n = i32x4.sub(t, ROUND_MAGIC);
  const em1r = expm1Reduced(
    f32x4.sub(f32x4.sub(xc, f32x4.mul(nf, LN2_HI)), f32x4.mul(nf, LN2_LO)),
  );
  const s = pow2i(i32x4.min_s(n, EXPM1_OVERFLOW));
  const small = madd(s, em1r, f32x4.sub(s, F_ONE));
  const n1 = i32x4.shr_s(n, 1);
  const scaled = f32x4.mul(f32x4.mul(f32x4.add(em1r, F_ONE), pow2i(n1)), pow2i(i32x4.sub(n, n1)));
  const y = choose(i32x4.gt_s(n, EXPM1_OVERFLOW), f32x4.sub(scaled, F_ONE), small);
  return choose(f32x4.gt(x, EXPM1_HI), F_INF, y);
}

// ---------------------------------------------------------------- log, log1p

/** Natural logarithm (NaN below 0, -inf at 0). */
// @ts-ignore: decorator
@inline export function logF32x4(x: v128): v128 {
  // Subnormals are scaled into the normal range first.
  const tiny = f32x4.lt(x, MIN_NORMAL);
  const xs = choose(tiny, f32x4.mul(x, TWO_POW_23), x);
  let e = i32x4.sub(i32x4.shr_u(xs, 23), I_127);
  e = choose(tiny, i32x4.sub(e, I_23), e);
  let m = v128.or(v128.and(xs, MANTISSA), ONE_BITS);
  // m in [sqrt(1/2), sqrt(2)): f = m - 1 is exact.
  const big = f32x4.gt(m, SQRT2);
  m = choose(big, f32x4.mul(m, F_HALF), m);
  e = i32x4.sub(e, big);
  const f = f32x4.sub(m, F_ONE);
  // log(1 + f) = 2 atanh(s), s = f / (2 + f).
  const s = f32x4.div(f, f32x4.add(f, F_TWO));
  const s2 = f32x4.mul(s, s);
  let p = madd(L3, s2, L2);
  p = madd(p, s2, L1);
  p = madd(p, s2, L0);
  const logm = madd(f32x4.mul(s, s2), p, f32x4.add(s, s));
  const ef = f32x4.convert_i32x4_s(e);
  let y = madd(ef, LN2_HI, madd(ef, LN2_LO, logm));
  y = choose(f32x4.eq(x, F_INF), x, y);
  y = choose(f32x4.eq(x, F_ZERO), f32x4.neg(F_INF), y);
  // NaN and negative inputs give NaN.
  return choose(f32x4.ge(x, F_ZERO), y, F_NAN);
}

/** log(1 + x), accurate near 0: log(u) corrected by the rounding error of u = 1 + x. */
// @ts-ignore: decorator
@inline export function log1pF32x4(x: v128): v128 {
  const u = f32x4.add(x, F_ONE);
  const correction = f32x4.div(f32x4.sub(x, f32x4.sub(u, F_ONE)), u);
  const logu = logF32x4(u);
  // The correction is 0 where 1 + x is exact, and NaN where u is 0 or inf: there log(u) is exact.
  const exact = v128.or(f32x4.eq(u, F_INF), f32x4.eq(u, F_ZERO));
  return choose(exact, logu, f32x4.add(logu, correction));
}

// ---------------------------------------------------------------- tanh, logistic

/**
 * Hyperbolic tangent, odd by construction: with e = expm1(-2|x|), tanh |x| = -e / (2 + e), given
 * the sign of x (so tanh(-x) is exactly -tanh(x), as the reference's); saturating beyond |x| = 9.
 */
// @ts-ignore: decorator
@inline export function tanhF32x4(x: v128): v128 {
  const a = f32x4.min(v128.andnot(x, SIGN_MASK), TANH_CLAMP);
  const e = expm1F32x4(f32x4.neg(f32x4.add(a, a)));
  const t = v128.andnot(f32x4.div(f32x4.neg(e), f32x4.add(e, F_TWO)), SIGN_MASK);
  return v128.or(t, v128.and(x, SIGN_MASK));
}

/** Logistic sigmoid 1 / (1 + e^-x), computed from e^-|x| so it never overflows. */
// @ts-ignore: decorator
@inline export function logisticF32x4(x: v128): v128 {
  const e = expF32x4(v128.or(x, SIGN_MASK));
  const d = f32x4.add(e, F_ONE);
  return f32x4.div(choose(f32x4.ge(x, F_ZERO), F_ONE, e), d);
}

// ---------------------------------------------------------------- erf, erf_inv

/** Error function: x P(x^2) below 1, 1 - e^(-x^2) R(x) up to 4, then +-1. */
// @ts-ignore: decorator
@inline export function erfF32x4(x: v128): v128 {
  const a = v128.andnot(x, SIGN_MASK);
  const x2 = f32x4.mul(x, x);
  let p = madd(E6, x2, E5);
  p = madd(p, x2, E4);
  p = madd(p, x2, E3);
  p = madd(p, x2, E2);
  p = madd(p, x2, E1);
  p = madd(p, x2, E0);
  const small = f32x4.mul(x, p);
  const t = f32x4.mul(f32x4.sub(f32x4.pmin(a, F_FOUR), T_MID), T_SCALE);
  let r = madd(R10, t, R9);
  r = madd(r, t, R8);
  r = madd(r, t, R7);
  r = madd(r, t, R6);
  r = madd(r, t, R5);
  r = madd(r, t, R4);
  r = madd(r, t, R3);
  r = madd(r, t, R2);
  r = madd(r, t, R1);
  r = madd(r, t, R0);
  const erfc = f32x4.mul(expF32x4(f32x4.neg(f32x4.pmin(x2, F_SIXTEEN))), r);
  const large = f32x4.sub(F_ONE, choose(f32x4.ge(a, F_FOUR), F_ZERO, erfc));
  const signed = v128.or(large, v128.and(x, SIGN_MASK));
  return choose(f32x4.lt(a, F_ONE), small, choose(f32x4.ne(x, x), x, signed));
}

/** Inverse error function: y P(w) with w = -log(1 - y^2), on two ranges of w. */
// @ts-ignore: decorator
@inline export function erfInvF32x4(y: v128): v128 {
  const w = f32x4.neg(logF32x4(f32x4.mul(f32x4.sub(F_ONE, y), f32x4.add(F_ONE, y))));
  const u = f32x4.sub(w, W_MID);
  let p = madd(P9, u, P8);
  p = madd(p, u, P7);
  p = madd(p, u, P6);
  p = madd(p, u, P5);
  p = madd(p, u, P4);
  p = madd(p, u, P3);
  p = madd(p, u, P2);
  p = madd(p, u, P1);
  p = madd(p, u, P0);
  const v = f32x4.sub(f32x4.sqrt(w), F_THREE);
  let q = madd(V9, v, V8);
  q = madd(q, v, V7);
  q = madd(q, v, V6);
  q = madd(q, v, V5);
  q = madd(q, v, V4);
  q = madd(q, v, V3);
  q = madd(q, v, V2);
  q = madd(q, v, V1);
  q = madd(q, v, V0);
  const r = f32x4.mul(y, choose(f32x4.lt(w, W_SPLIT), p, q));
  // +-1 map to +-inf; |y| > 1 and NaN give NaN (w is NaN there, except at the poles).
  const pole = f32x4.eq(v128.andnot(y, SIGN_MASK), F_ONE);
  return choose(pole, v128.or(F_INF, v128.and(y, SIGN_MASK)), r);
}

// ---------------------------------------------------------------- sin, cos

/**
 * Splits two f64 lanes as x = k pi/2 + r; returns r, and leaves k (as integer bits) in the low
 * halves of `t`'s lanes, which the caller recomputes: t = x 2/pi + 1.5 * 2^52.
 */
// @ts-ignore: decorator
@inline function reducePio2(x: v128, t: v128): v128 {
  const k = f64x2.sub(t, ROUND_MAGIC_F64);
  return f64x2.sub(f64x2.sub(x, f64x2.mul(k, PIO2_HI)), f64x2.mul(k, PIO2_LO));
}

/** sin (phase 0) or cos (phase 1): reduction by pi/2 in f64, polynomials in f32. */
// @ts-ignore: decorator
@inline function sinCos(x: v128, phase: i32): v128 {
  const lo = f64x2.promote_low_f32x4(x);
  const hi = f64x2.promote_low_f32x4(i32x4.shuffle(x, x, 2, 3, 0, 1));
  const tlo = f64x2.relaxed_madd(lo, TWO_OVER_PI, ROUND_MAGIC_F64);
  const thi = f64x2.relaxed_madd(hi, TWO_OVER_PI, ROUND_MAGIC_F64);
  const rlo = f32x4.demote_f64x2_zero(reducePio2(lo, tlo));
  const rhi = f32x4.demote_f64x2_zero(reducePio2(hi, thi));
  const r = i32x4.shuffle(rlo, rhi, 0, 1, 4, 5);
  let q = i32x4.shuffle(tlo, thi, 0, 2, 4, 6);
  if (phase) q = i32x4.add(q, I_ONE);
  const r2 = f32x4.mul(r, r);
  let s = madd(S2, r2, S1);
  s = madd(s, r2, S0);
  s = madd(f32x4.mul(r, r2), s, r);
  let c = madd(C2, r2, C1);
  c = madd(c, r2, C0);
  c = madd(f32x4.mul(r2, r2), c, madd(r2, F_MINUS_HALF, F_ONE));
  // Quadrant q: sin x = s, c, -s, -c for q = 0..3 (cos x is sin at quadrant q + 1).
  const v = choose(i32x4.eq(v128.and(q, I_ONE), I_ONE), c, s);
  const y = v128.xor(v, i32x4.shl(v128.and(q, I_TWO), 30));
  return choose(f32x4.ne(x, x), x, choose(f32x4.eq(f32x4.abs(x), F_INF), F_NAN, y));
}

/** Sine. */
// @ts-ignore: decorator
@inline export function sinF32x4(x: v128): v128 {
  return sinCos(x, 0);
}

/** Cosine. */
// @ts-ignore: decorator
@inline export function cosF32x4(x: v128): v128 {
  return sinCos(x, 1);
}
