/**
 * The error function to far beyond float64 precision, for tests of the float64 erf and erf_inv
 * definitions: erf x = (2 / sqrt(pi)) x sum_n (-x^2)^n / (n! (2n + 1)) in BigInt fixed point
 * with 200 fraction bits (the sum's cancellation, up to 2^52 at x = 6, leaves 140 of them),
 * pi to 49 decimals.
 * @module
 */

/** Fraction bits of the fixed-point values. */
const FRACTION = 200n;
/** pi * 10^49. */
const PI_DIGITS = 31415926535897932384626433832795028841971693993751n;

/** floor(sqrt(n)) of a positive BigInt, by Newton's method. */
function isqrt(n: bigint): bigint {
  let x = 1n << BigInt((n.toString(2).length >> 1) + 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** 2 / sqrt(pi), scaled by 2^200. */
const TWO_OVER_SQRT_PI = (() => {
  const pi = (PI_DIGITS << (2n * FRACTION)) / 10n ** 49n;
  return (1n << (2n * FRACTION + 1n)) / isqrt(pi);
})();

/** A finite float64 as m 2^e with m an integer. */
function split(x: number): { m: bigint; e: number } {
  if (x === 0) return { m: 0n, e: 0 };
  let e = Math.floor(Math.log2(Math.abs(x))) - 52;
  e = Math.max(e, -1074);
  let m = x / 2 ** e;
  while (!Number.isInteger(m)) m = x / 2 ** --e;
  return { m: BigInt(m), e };
}

/** erf(x) / x, scaled by 2^200, for finite |x| <= 7. */
function erfOverX(x: number): bigint {
  const { m, e } = split(x);
  const shift = BigInt(-2 * e);
  const m2 = m * m;
  let term = 1n << FRACTION, sum = 0n;
  for (let n = 0; term !== 0n; n++) {
    if (n > 0) {
      term = shift >= 0n ? (term * m2) / (BigInt(n) << shift) : (term * m2 << -shift) / BigInt(n);
    }
    const t = term / BigInt(2 * n + 1);
    sum += n % 2 ? -t : t;
  }
  return (sum * TWO_OVER_SQRT_PI) >> FRACTION;
}

/** erf(x) rounded to float64 (once, but for subnormal results); +-1 beyond |x| = 6. */
export function erfReference(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (Math.abs(x) >= 6) return Math.sign(x);
  if (x === 0) return x;
  const { m, e } = split(x);
  return (Number(erfOverX(x) * m) * 2 ** -Number(FRACTION)) * 2 ** e;
}

/** erf(x) - y for finite x with |x| in [2^-60, 7] and y in [-1, 1], to far beyond float64 precision. */
export function erfResidual(x: number, y: number): number {
  const scale = 256;
  const { m, e } = split(x);
  const fixedX = m << BigInt(scale + e);
  const { m: my, e: ey } = split(y);
  const fixedY = ey + scale >= 0 ? my << BigInt(ey + scale) : my >> BigInt(-ey - scale);
  return Number((fixedX * erfOverX(x) >> FRACTION) - fixedY) / 2 ** scale;
}
