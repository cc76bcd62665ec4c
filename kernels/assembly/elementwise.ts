/**
 * Elementwise kernels over dense buffers: binary arithmetic, comparisons (to bool), select and
 * dtype conversion, one export per (operation, dtype), named `op_dtype` with dtypes f32, f64, i32
 * and u8 (bool, one byte of 0 or 1). The unary ones are rendered from the kernel IR (unary.ts).
 *
 * Buffers are 16-byte aligned and padded to a multiple of 16 bytes, so every loop writes whole
 * v128 vectors of output and never needs a scalar tail. Loops that read wider inputs than they
 * write (comparisons, narrowing conversions) may read up to 128 bytes past an input's end; the
 * runtime keeps a guard zone at the end of memory for that.
 */
import { B_ONE, F_ZERO } from "./math";

/** Bytes covered by `n` elements of `size` bytes, rounded up to whole vectors. */
// @ts-ignore: decorator
@inline function paddedBytes(n: i32, size: i32): usize {
  return (<usize>(n * size) + 15) & ~15;
}

// ---------------------------------------------------------------- binary

const ADD = 0;
const SUB = 1;
const MUL = 2;
const DIV = 3;
const MAX = 4;
const MIN = 5;
const AND = 6;
const OR = 7;

/** Binary operations with native vector forms; T is the lane type (f32, f64, i32 or u8). */
// @ts-ignore: decorator
@inline function binaryVec<T>(op: i32, a: v128, b: v128): v128 {
  if (op == AND) return v128.and(a, b);
  if (op == OR) return v128.or(a, b);
  if (sizeof<T>() == 1) return a;
  if (op == ADD) return v128.add<T>(a, b);
  if (op == SUB) return v128.sub<T>(a, b);
  if (op == MUL) return v128.mul<T>(a, b);
  if (op == MAX) return v128.max<T>(a, b);
  if (op == MIN) return v128.min<T>(a, b);
  if (isFloat<T>()) return v128.div<T>(a, b);
  return a;
}

// @ts-ignore: decorator
@inline function zipVec<T>(op: i32, x: usize, y: usize, out: usize, n: i32): void {
  const end = out + paddedBytes(n, sizeof<T>());
  for (; out < end; x += 16, y += 16, out += 16) {
    v128.store(out, binaryVec<T>(op, v128.load(x), v128.load(y)));
  }
}

export function add_f32(x: usize, y: usize, o: usize, n: i32): void { zipVec<f32>(ADD, x, y, o, n); }
export function sub_f32(x: usize, y: usize, o: usize, n: i32): void { zipVec<f32>(SUB, x, y, o, n); }
export function mul_f32(x: usize, y: usize, o: usize, n: i32): void { zipVec<f32>(MUL, x, y, o, n); }
export function div_f32(x: usize, y: usize, o: usize, n: i32): void { zipVec<f32>(DIV, x, y, o, n); }
export function max_f32(x: usize, y: usize, o: usize, n: i32): void { zipVec<f32>(MAX, x, y, o, n); }
export function min_f32(x: usize, y: usize, o: usize, n: i32): void { zipVec<f32>(MIN, x, y, o, n); }
export function add_f64(x: usize, y: usize, o: usize, n: i32): void { zipVec<f64>(ADD, x, y, o, n); }
export function sub_f64(x: usize, y: usize, o: usize, n: i32): void { zipVec<f64>(SUB, x, y, o, n); }
export function mul_f64(x: usize, y: usize, o: usize, n: i32): void { zipVec<f64>(MUL, x, y, o, n); }
export function div_f64(x: usize, y: usize, o: usize, n: i32): void { zipVec<f64>(DIV, x, y, o, n); }
export function max_f64(x: usize, y: usize, o: usize, n: i32): void { zipVec<f64>(MAX, x, y, o, n); }
export function min_f64(x: usize, y: usize, o: usize, n: i32): void { zipVec<f64>(MIN, x, y, o, n); }
export function add_i32(x: usize, y: usize, o: usize, n: i32): void { zipVec<i32>(ADD, x, y, o, n); }
export function sub_i32(x: usize, y: usize, o: usize, n: i32): void { zipVec<i32>(SUB, x, y, o, n); }
export function mul_i32(x: usize, y: usize, o: usize, n: i32): void { zipVec<i32>(MUL, x, y, o, n); }
export function max_i32(x: usize, y: usize, o: usize, n: i32): void { zipVec<i32>(MAX, x, y, o, n); }
export function min_i32(x: usize, y: usize, o: usize, n: i32): void { zipVec<i32>(MIN, x, y, o, n); }
export function and_i32(x: usize, y: usize, o: usize, n: i32): void { zipVec<i32>(AND, x, y, o, n); }
export function or_i32(x: usize, y: usize, o: usize, n: i32): void { zipVec<i32>(OR, x, y, o, n); }
export function and_u8(x: usize, y: usize, o: usize, n: i32): void { zipVec<u8>(AND, x, y, o, n); }
export function or_u8(x: usize, y: usize, o: usize, n: i32): void { zipVec<u8>(OR, x, y, o, n); }

/** Truncating int32 division; division by zero gives 0 and INT_MIN / -1 wraps to INT_MIN. */
export function div_i32(x: usize, y: usize, o: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const p = <usize>i << 2;
    const a = load<i32>(x + p), b = load<i32>(y + p);
    store<i32>(o + p, b == 0 ? 0 : b == -1 ? -a : a / b);
  }
}

/** Powers are computed in f64 and rounded, as the reference backend does. */
export function pow_f32(x: usize, y: usize, o: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const p = <usize>i << 2;
    store<f32>(o + p, <f32>Math.pow(<f64>load<f32>(x + p), <f64>load<f32>(y + p)));
  }
}

export function pow_f64(x: usize, y: usize, o: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const p = <usize>i << 3;
    store<f64>(o + p, Math.pow(load<f64>(x + p), load<f64>(y + p)));
  }
}

/** Arctangents are computed in f64 and rounded, as the reference backend does. */
export function atan2_f32(x: usize, y: usize, o: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const p = <usize>i << 2;
    store<f32>(o + p, <f32>Math.atan2(<f64>load<f32>(x + p), <f64>load<f32>(y + p)));
  }
}

export function atan2_f64(x: usize, y: usize, o: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const p = <usize>i << 3;
    store<f64>(o + p, Math.atan2(load<f64>(x + p), load<f64>(y + p)));
  }
}

/** Float remainders are C's fmod (exact, the sign of x). */
export function rem_f32(x: usize, y: usize, o: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const p = <usize>i << 2;
    store<f32>(o + p, load<f32>(x + p) % load<f32>(y + p));
  }
}

export function rem_f64(x: usize, y: usize, o: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const p = <usize>i << 3;
    store<f64>(o + p, load<f64>(x + p) % load<f64>(y + p));
  }
}

/** Truncating int32 remainder; by zero gives x (i32.rem_s would trap), INT_MIN % -1 gives 0. */
export function rem_i32(x: usize, y: usize, o: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const p = <usize>i << 2;
    const a = load<i32>(x + p), b = load<i32>(y + p);
    store<i32>(o + p, b == 0 ? a : a % b);
  }
}

// ---------------------------------------------------------------- comparisons

const EQ = 0;
const NE = 1;
const LT = 2;
const LE = 3;
const GT = 4;
const GE = 5;

/** Lane masks (all ones where true) of a comparison of T lanes. */
// @ts-ignore: decorator
@inline function compareVec<T>(op: i32, a: v128, b: v128): v128 {
  if (op == EQ) return v128.eq<T>(a, b);
  if (op == NE) return v128.ne<T>(a, b);
  if (op == LT) return v128.lt<T>(a, b);
  if (op == LE) return v128.le<T>(a, b);
  if (op == GT) return v128.gt<T>(a, b);
  return v128.ge<T>(a, b);
}

/** Four vectors of 32-bit masks to one vector of 16 bytes of 0 or 1. */
// @ts-ignore: decorator
@inline function masks32ToBools(m0: v128, m1: v128, m2: v128, m3: v128): v128 {
  const lo = i16x8.narrow_i32x4_s(m0, m1);
  const hi = i16x8.narrow_i32x4_s(m2, m3);
  return v128.and(i8x16.narrow_i16x8_s(lo, hi), B_ONE);
}

/** Two vectors of 64-bit masks to one vector of 32-bit masks. */
// @ts-ignore: decorator
@inline function masks64To32(m0: v128, m1: v128): v128 {
  return i32x4.shuffle(m0, m1, 0, 2, 4, 6);
}

// @ts-ignore: decorator
@inline function compare32<T>(op: i32, x: usize, y: usize, out: usize, n: i32): void {
  const end = out + paddedBytes(n, 1);
  for (; out < end; x += 64, y += 64, out += 16) {
    const m0 = compareVec<T>(op, v128.load(x), v128.load(y));
    const m1 = compareVec<T>(op, v128.load(x, 16), v128.load(y, 16));
    const m2 = compareVec<T>(op, v128.load(x, 32), v128.load(y, 32));
    const m3 = compareVec<T>(op, v128.load(x, 48), v128.load(y, 48));
    v128.store(out, masks32ToBools(m0, m1, m2, m3));
  }
}

// @ts-ignore: decorator
@inline function compare64(op: i32, x: usize, y: usize, out: usize, n: i32): void {
  const end = out + paddedBytes(n, 1);
  for (; out < end; x += 128, y += 128, out += 16) {
    const m0 = masks64To32(
      compareVec<f64>(op, v128.load(x), v128.load(y)),
      compareVec<f64>(op, v128.load(x, 16), v128.load(y, 16)),
    );
    const m1 = masks64To32(
      compareVec<f64>(op, v128.load(x, 32), v128.load(y, 32)),
      compareVec<f64>(op, v128.load(x, 48), v128.load(y, 48)),
    );
    const m2 = masks64To32(
      compareVec<f64>(op, v128.load(x, 64), v128.load(y, 64)),
      compareVec<f64>(op, v128.load(x, 80), v128.load(y, 80)),
    );
    const m3 = masks64To32(
      compareVec<f64>(op, v128.load(x, 96), v128.load(y, 96)),
      compareVec<f64>(op, v128.load(x, 112), v128.load(y, 112)),
    );
    v128.store(out, masks32ToBools(m0, m1, m2, m3));
  }
}

// @ts-ignore: decorator
@inline function compare8(op: i32, x: usize, y: usize, out: usize, n: i32): void {
  const end = out + paddedBytes(n, 1);
  for (; out < end; x += 16, y += 16, out += 16) {
    v128.store(out, v128.and(compareVec<u8>(op, v128.load(x), v128.load(y)), B_ONE));
  }
}

export function eq_f32(x: usize, y: usize, o: usize, n: i32): void { compare32<f32>(EQ, x, y, o, n); }
export function ne_f32(x: usize, y: usize, o: usize, n: i32): void { compare32<f32>(NE, x, y, o, n); }
export function lt_f32(x: usize, y: usize, o: usize, n: i32): void { compare32<f32>(LT, x, y, o, n); }
export function le_f32(x: usize, y: usize, o: usize, n: i32): void { compare32<f32>(LE, x, y, o, n); }
export function gt_f32(x: usize, y: usize, o: usize, n: i32): void { compare32<f32>(GT, x, y, o, n); }
export function ge_f32(x: usize, y: usize, o: usize, n: i32): void { compare32<f32>(GE, x, y, o, n); }
export function eq_i32(x: usize, y: usize, o: usize, n: i32): void { compare32<i32>(EQ, x, y, o, n); }
export function ne_i32(x: usize, y: usize, o: usize, n: i32): void { compare32<i32>(NE, x, y, o, n); }
export function lt_i32(x: usize, y: usize, o: usize, n: i32): void { compare32<i32>(LT, x, y, o, n); }
export function le_i32(x: usize, y: usize, o: usize, n: i32): void { compare32<i32>(LE, x, y, o, n); }
export function gt_i32(x: usize, y: usize, o: usize, n: i32): void { compare32<i32>(GT, x, y, o, n); }
export function ge_i32(x: usize, y: usize, o: usize, n: i32): void { compare32<i32>(GE, x, y, o, n); }
export function eq_f64(x: usize, y: usize, o: usize, n: i32): void { compare64(EQ, x, y, o, n); }
export function ne_f64(x: usize, y: usize, o: usize, n: i32): void { compare64(NE, x, y, o, n); }
export function lt_f64(x: usize, y: usize, o: usize, n: i32): void { compare64(LT, x, y, o, n); }
export function le_f64(x: usize, y: usize, o: usize, n: i32): void { compare64(LE, x, y, o, n); }
export function gt_f64(x: usize, y: usize, o: usize, n: i32): void { compare64(GT, x, y, o, n); }
export function ge_f64(x: usize, y: usize, o: usize, n: i32): void { compare64(GE, x, y, o, n); }
export function eq_u8(x: usize, y: usize, o: usize, n: i32): void { compare8(EQ, x, y, o, n); }
export function ne_u8(x: usize, y: usize, o: usize, n: i32): void { compare8(NE, x, y, o, n); }

// ---------------------------------------------------------------- select

/** `out = pred ? onTrue : onFalse` for 1-byte elements. */
export function select_1(p: usize, f: usize, t: usize, o: usize, n: i32): void {
  const end = o + paddedBytes(n, 1);
  for (; o < end; p += 16, f += 16, t += 16, o += 16) {
    const m = i8x16.ne(v128.load(p), F_ZERO);
    v128.store(o, v128.bitselect(v128.load(t), v128.load(f), m));
  }
}

/** `out = pred ? onTrue : onFalse` for 4-byte elements. */
export function select_4(p: usize, f: usize, t: usize, o: usize, n: i32): void {
  const end = o + paddedBytes(n, 4);
  for (; o < end; p += 4, f += 16, t += 16, o += 16) {
    const b = i16x8.extend_low_i8x16_u(v128.load32_zero(p));
    const m = i32x4.ne(i32x4.extend_low_i16x8_u(b), F_ZERO);
    v128.store(o, v128.bitselect(v128.load(t), v128.load(f), m));
  }
}

/** `out = pred ? onTrue : onFalse` for 8-byte elements. */
export function select_8(p: usize, f: usize, t: usize, o: usize, n: i32): void {
  const end = o + paddedBytes(n, 8);
  for (; o < end; p += 2, f += 16, t += 16, o += 16) {
    const b = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load16_splat(p)));
    const m = i64x2.ne(i64x2.extend_low_i32x4_u(b), F_ZERO);
    v128.store(o, v128.bitselect(v128.load(t), v128.load(f), m));
  }
}

// ---------------------------------------------------------------- conversions

/** The low four bools of `b` as i32 lanes of 0 or 1. */
// @ts-ignore: decorator
@inline function boolsToI32(b: v128): v128 {
  return i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(b));
}

export function convert_f32_f64(x: usize, y: usize, n: i32): void {
  const end = y + paddedBytes(n, 8);
  for (; y < end; x += 8, y += 16) v128.store(y, f64x2.promote_low_f32x4(v128.load64_zero(x)));
}

export function convert_f64_f32(x: usize, y: usize, n: i32): void {
  const end = y + paddedBytes(n, 4);
  for (; y < end; x += 32, y += 16) {
    const lo = f32x4.demote_f64x2_zero(v128.load(x));
    const hi = f32x4.demote_f64x2_zero(v128.load(x, 16));
    v128.store(y, i32x4.shuffle(lo, hi, 0, 1, 4, 5));
  }
}

/** Floats to int32 truncate toward zero; NaN gives 0 and out-of-range values saturate. */
export function convert_f32_i32(x: usize, y: usize, n: i32): void {
  const end = y + paddedBytes(n, 4);
  for (; y < end; x += 16, y += 16) v128.store(y, i32x4.trunc_sat_f32x4_s(v128.load(x)));
}

export function convert_f64_i32(x: usize, y: usize, n: i32): void {
  const end = y + paddedBytes(n, 4);
  for (; y < end; x += 32, y += 16) {
    const lo = i32x4.trunc_sat_f64x2_s_zero(v128.load(x));
    const hi = i32x4.trunc_sat_f64x2_s_zero(v128.load(x, 16));
    v128.store(y, i32x4.shuffle(lo, hi, 0, 1, 4, 5));
  }
}

export function convert_i32_f32(x: usize, y: usize, n: i32): void {
  const end = y + paddedBytes(n, 4);
  for (; y < end; x += 16, y += 16) v128.store(y, f32x4.convert_i32x4_s(v128.load(x)));
}

export function convert_i32_f64(x: usize, y: usize, n: i32): void {
  const end = y + paddedBytes(n, 8);
  for (; y < end; x += 8, y += 16) v128.store(y, f64x2.convert_low_i32x4_s(v128.load64_zero(x)));
}

export function convert_f32_u8(x: usize, y: usize, n: i32): void {
  const end = y + paddedBytes(n, 1);
  const z = F_ZERO;
  for (; y < end; x += 64, y += 16) {
    v128.store(y, masks32ToBools(
      f32x4.ne(v128.load(x), z), f32x4.ne(v128.load(x, 16), z),
      f32x4.ne(v128.load(x, 32), z), f32x4.ne(v128.load(x, 48), z),
    ));
  }
}

export function convert_i32_u8(x: usize, y: usize, n: i32): void {
  const end = y + paddedBytes(n, 1);
  const z = F_ZERO;
  for (; y < end; x += 64, y += 16) {
    v128.store(y, masks32ToBools(
      i32x4.ne(v128.load(x), z), i32x4.ne(v128.load(x, 16), z),
      i32x4.ne(v128.load(x, 32), z), i32x4.ne(v128.load(x, 48), z),
    ));
  }
}

export function convert_f64_u8(x: usize, y: usize, n: i32): void {
  const end = y + paddedBytes(n, 1);
  const z = F_ZERO;
  for (; y < end; x += 128, y += 16) {
    v128.store(y, masks32ToBools(
      masks64To32(f64x2.ne(v128.load(x), z), f64x2.ne(v128.load(x, 16), z)),
      masks64To32(f64x2.ne(v128.load(x, 32), z), f64x2.ne(v128.load(x, 48), z)),
      masks64To32(f64x2.ne(v128.load(x, 64), z), f64x2.ne(v128.load(x, 80), z)),
      masks64To32(f64x2.ne(v128.load(x, 96), z), f64x2.ne(v128.load(x, 112), z)),
    ));
  }
}

export function convert_u8_i32(x: usize, y: usize, n: i32): void {
  const end = y + paddedBytes(n, 4);
  for (; y < end; x += 4, y += 16) v128.store(y, boolsToI32(v128.load32_zero(x)));
}

export function convert_u8_f32(x: usize, y: usize, n: i32): void {
  const end = y + paddedBytes(n, 4);
  for (; y < end; x += 4, y += 16) {
    v128.store(y, f32x4.convert_i32x4_s(boolsToI32(v128.load32_zero(x))));
  }
}

export function convert_u8_f64(x: usize, y: usize, n: i32): void {
  const end = y + paddedBytes(n, 8);
  for (; y < end; x += 2, y += 16) {
    v128.store(y, f64x2.convert_low_i32x4_s(boolsToI32(v128.load16_splat(x))));
  }
}
