/**
 * Bit operations on int32 words (xor and shifts, with XLA's rule that shifting by 32 or more, or
 * by a negative amount, shifts everything out) and the Threefry-2x32 block cipher (20 rounds)
 * that random number generation is built on, four blocks per vector.
 */

/** Bytes covered by `n` i32, rounded up to whole vectors. */
// @ts-ignore: decorator
@inline function paddedBytes(n: i32): usize {
  return (<usize>(n << 2) + 15) & ~15;
}

/** Bitwise exclusive or. */
export function xor_i32(x: usize, y: usize, o: usize, n: i32): void {
  const end = o + paddedBytes(n);
  for (; o < end; x += 16, y += 16, o += 16) v128.store(o, v128.xor(v128.load(x), v128.load(y)));
}

/** `x << s`, 0 when `s` is outside [0, 32). */
export function shift_left_i32(x: usize, y: usize, o: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const p = <usize>i << 2;
    const s = load<i32>(y + p);
    store<i32>(o + p, <u32>s < 32 ? load<i32>(x + p) << s : 0);
  }
}

/** `x >>> s` (zero fill), 0 when `s` is outside [0, 32). */
export function shift_right_logical_i32(x: usize, y: usize, o: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const p = <usize>i << 2;
    const s = load<i32>(y + p);
    store<i32>(o + p, <u32>s < 32 ? <i32>(load<u32>(x + p) >>> s) : 0);
  }
}

/** `x >> s` (sign fill); shifting by 32 or more, or a negative amount, leaves the sign. */
export function shift_right_arithmetic_i32(x: usize, y: usize, o: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const p = <usize>i << 2;
    const s = load<i32>(y + p);
    store<i32>(o + p, load<i32>(x + p) >> (<u32>s < 32 ? s : 31));
  }
}

const KS_PARITY: i32 = 0x1bd11bda;

// @ts-ignore: decorator
@inline function rotl(v: v128, r: i32): v128 {
  return v128.or(i32x4.shl(v, r), i32x4.shr_u(v, 32 - r));
}

/**
 * Threefry-2x32 on `n` blocks: `(y0[i], y1[i]) = E_(k0[i], k1[i])(x0[i], x1[i])`. Four rounds
 * per group, rotations alternating between two sets, a key injection after each of 5 groups.
 */
export function threefry2x32(
  k0p: usize, k1p: usize, x0p: usize, x1p: usize, y0p: usize, y1p: usize, n: i32,
): void {
  const end = y0p + paddedBytes(n);
  for (; y0p < end; k0p += 16, k1p += 16, x0p += 16, x1p += 16, y0p += 16, y1p += 16) {
    const k0 = v128.load(k0p), k1 = v128.load(k1p);
    const k2 = v128.xor(i32x4.splat(KS_PARITY), v128.xor(k0, k1));
    let a = i32x4.add(v128.load(x0p), k0);
    let b = i32x4.add(v128.load(x1p), k1);
    for (let group = 0; group < 5; group++) {
      if ((group & 1) == 0) {
        a = i32x4.add(a, b); b = v128.xor(rotl(b, 13), a);
        a = i32x4.add(a, b); b = v128.xor(rotl(b, 15), a);
        a = i32x4.add(a, b); b = v128.xor(rotl(b, 26), a);
        a = i32x4.add(a, b); b = v128.xor(rotl(b, 6), a);
      } else {
        a = i32x4.add(a, b); b = v128.xor(rotl(b, 17), a);
        a = i32x4.add(a, b); b = v128.xor(rotl(b, 29), a);
        a = i32x4.add(a, b); b = v128.xor(rotl(b, 16), a);
        a = i32x4.add(a, b); b = v128.xor(rotl(b, 24), a);
      }
      // Key injection: ks[(g + 1) % 3] into a, ks[(g + 2) % 3] + g + 1 into b.
      const s = (group + 1) % 3;
      const ka = s == 0 ? k0 : s == 1 ? k1 : k2;
      const t = (group + 2) % 3;
      const kb = t == 0 ? k0 : t == 1 ? k1 : k2;
      a = i32x4.add(a, ka);
      b = i32x4.add(i32x4.add(b, kb), i32x4.splat(group + 1));
    }
    v128.store(y0p, a);
    v128.store(y1p, b);
  }
}
