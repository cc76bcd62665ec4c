/**
 * Vectorised sin and cos on f32x4, and scalar f64 ones the standard library lacks.
 * Self-contained (no imports): `deno task build:kernels` copies this source into
 * kernels/wasm/math_source.ts, which every jit-generated kernel module includes, so fused
 * kernels run these functions too and agree with the eager kernels bit for bit. (The other
 * float32 math functions, exp ... erf_inv, are kernel IR expressions written once for every
 * renderer: kernels/lowering/math_definitions.ts.)
 *
 * sin and cos reduce the argument by pi/2 in f64, then evaluate polynomials whose coefficients
 * are near-minimax fits (Lawson's iteration against 40-digit references) on the reduced range.
 * Stated maximum error, checked by tests/wasm_math_test.ts against float64 references: absolute
 * 2e-7 for abs(x) <= 1e5.
 *
 * Constants live in mutable globals that `initMath` fills once: V8 rebuilds a v128 constant
 * with several instructions at every use inside a loop, but reads a global with one load.
 * Rounding to integers adds and subtracts 1.5 * 2^52 instead of converting.
 *
 * The f64 erf and erf_inv follow the reference backend's series, continued fraction and Newton
 * steps, so they agree with it to about 1e-15.
 */

// ---------------------------------------------------------------- constants

const ZERO: v128 = i32x4(0, 0, 0, 0);

/** Shared lane constants. */
export let F_ZERO = ZERO, B_ONE = ZERO;
let F_ONE = ZERO, F_INF = ZERO, F_NAN = ZERO, F_MINUS_HALF = ZERO, I_ONE = ZERO, I_TWO = ZERO;
let ROUND_MAGIC_F64 = ZERO, TWO_OVER_PI = ZERO, PIO2_HI = ZERO, PIO2_LO = ZERO;
let S0 = ZERO, S1 = ZERO, S2 = ZERO, C0 = ZERO, C1 = ZERO, C2 = ZERO;

/** Fills the constant globals; the runtime calls it once after instantiating the module. */
export function initMath(): void {
  F_ZERO = f32x4.splat(0);
  B_ONE = i8x16.splat(1);
  F_ONE = f32x4.splat(1);
  F_INF = f32x4.splat(Infinity);
  F_NAN = f32x4.splat(NaN);
  F_MINUS_HALF = f32x4.splat(-0.5);
  I_ONE = i32x4.splat(1);
  I_TWO = i32x4.splat(2);
  ROUND_MAGIC_F64 = f64x2.splat(6755399441055744.0);
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
