/**
 * Scalar f64 math shared by the prebuilt kernels and the jit-generated ones: the error function
 * and its inverse. Self-contained (only `Math`), because
 * `deno task build:kernels` also copies this source into kernels/wasm/math_source.ts, which every
 * generated kernel module includes.
 */

const TWO_OVER_SQRT_PI: f64 = 1.1283791670955126;

/** erfc(x) for x >= 3 by Lentz's continued fraction. */
function erfcTail(x: f64): f64 {
  const tiny: f64 = 1e-300;
  let f = x, c = x, d: f64 = 0;
  for (let n = 1; n < 300; n++) {
    const a = <f64>n / 2;
    d = x + a * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = x + a / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / (f * Math.sqrt(Math.PI));
}

/** Error function in f64: Taylor series below 3, continued fraction above. */
export function erfF64(x: f64): f64 {
  if (isNaN(x)) return x;
  if (!isFinite(x)) return Math.sign(x);
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = ax, sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / <f64>n;
      const add = term / <f64>(2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * TWO_OVER_SQRT_PI * sum;
  }
  return Math.sign(x) * (1 - erfcTail(ax));
}

/** Inverse error function in f64: a polynomial start refined by three Newton steps. */
export function erfInvF64(y: f64): f64 {
  if (y <= -1) return y == -1 ? -Infinity : NaN;
  if (y >= 1) return y == 1 ? Infinity : NaN;
  if (isNaN(y)) return y;
  const w = -Math.log((1 - y) * (1 + y));
  let x: f64;
  if (w < 5) {
    const u = w - 2.5;
    let p: f64 = -8.791016997689027e-09;
    p = p * u + 2.323262282555305e-08;
    p = p * u + 4.6617012071630687e-07;
    p = p * u - 3.4627044970467202e-06;
    p = p * u - 4.963345378029751e-06;
    p = p * u + 0.00021834443843901132;
    p = p * u - 0.0012527418825890673;
    p = p * u - 0.00417738677991106;
    p = p * u + 0.24664028615530023;
    p = p * u + 1.5014093592822924;
    x = p * y;
  } else {
    const v = Math.sqrt(w) - 3;
    let q: f64 = 6.22426379167651e-05;
    q = q * v - 0.00022535873219314828;
    q = q * v - 3.9268316736618125e-06;
    q = q * v + 0.0013742693138381057;
    q = q * v - 0.003612786701977122;
    q = q * v + 0.005734048492297639;
    q = q * v - 0.007635364224774219;
    q = q * v + 0.009438748963323557;
    q = q * v + 1.00167478777566;
    q = q * v + 2.8329769406835683;
    x = q * y;
  }
  for (let i = 0; i < 3; i++) {
    const err = erfF64(x) - y;
    x -= err / (TWO_OVER_SQRT_PI * Math.exp(-x * x));
  }
  return x;
}
