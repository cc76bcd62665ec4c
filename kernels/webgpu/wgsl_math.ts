/**
 * Scalar WGSL functions that the builtins lack or leave undefined, written to match the ref
 * backend: NaN-propagating max/min, sqrt outside its domain, `pow` of negative bases, and
 * accurate atan2 and fmod (`rem`). (exp, log and the functions built on them are IR
 * definitions, kernels/lowering/math_definitions.ts.)
 *
 * `withHelpers(body)` prepends exactly the helpers a kernel body calls (and those they call).
 * @module
 */

/** Helper name -> WGSL definition. */
const HELPERS: Record<string, string> = {
  nan_f: `fn nan_f() -> f32 { return bitcast<f32>(0x7fc00000u); }`,
  inf_f: `fn inf_f() -> f32 { return bitcast<f32>(0x7f800000u); }`,
  is_nan: `fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }`,
  max_f: `fn max_f(x: f32, y: f32) -> f32 {
  return select(max(x, y), nan_f(), is_nan(x) || is_nan(y));
}`,
  min_f: `fn min_f(x: f32, y: f32) -> f32 {
  return select(min(x, y), nan_f(), is_nan(x) || is_nan(y));
}`,
  sqrt_f: `fn sqrt_f(x: f32) -> f32 { return select(sqrt(x), nan_f(), x < 0.0); }`,
  sign_f: `fn sign_f(x: f32) -> f32 { return select(select(x, -1.0, x < 0.0), 1.0, x > 0.0); }`,
  sign_i: `fn sign_i(x: i32) -> i32 { return select(select(0i, -1i, x < 0i), 1i, x > 0i); }`,
  // C's remainder (the sign of x; x where y is 0) on magnitudes as u32: GL's % on negative
  // ints is undefined (llvmpipe gave -25 % 5 as 2).
  rem_i: `fn rem_i(x: i32, y: i32) -> i32 {
  if (y == 0i) { return x; }
  let ax = select(u32(x), 0u - u32(x), x < 0i);
  let ay = select(u32(y), 0u - u32(y), y < 0i);
  let r = i32(ax % ay);
  return select(r, -r, x < 0i);
}`,
  // Whether integral `y` is odd: every float32 of magnitude 2^24 or more is even. (Testing
  // fract(y / 2) instead is wrong at infinities, where GL's fract gives NaN.)
  is_odd: `fn is_odd(y: f32) -> bool { return abs(y) < 16777216.0 && (i32(y) & 1i) != 0i; }`,
  pow_f: `fn pow_f(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  if (is_nan(x) || is_nan(y)) { return nan_f(); }
  // Small integer exponents by products: exact where the power is (x^3 of 2.25 is 11.390625).
  if (floor(y) == y && abs(y) <= 8.0) {
    var p = x;
    for (var k = 1; k < i32(abs(y)); k++) { p = p * x; }
    return select(p, 1.0 / p, y < 0.0);
  }
  let a = abs(x);
  var r: f32;
  if (a == 0.0) { r = select(0.0, inf_f(), y < 0.0); } else { r = exp2(y * log2(a)); }
  if (x < 0.0 || (x == 0.0 && bitcast<u32>(x) != 0u)) {
    if (floor(y) != y) { return select(nan_f(), r, a == 0.0 || a == inf_f()); }
    if (is_odd(y)) { r = -r; }
  }
  return r;
}`,
  // atan on [0, 1] (Cephes atanf, about 2e-7 relative): around 1 by atan(a) = pi/4 + atan(t).
  atan01_f: `fn atan01_f(a: f32) -> f32 {
  var t = a;
  var base = 0.0;
  if (a > 0.4142135623730950) { t = (a - 1.0) / (a + 1.0); base = 0.7853981633974483; }
  let z = t * t;
  let p = ((8.05374449538e-2 * z - 1.38776856032e-1) * z + 1.99777106478e-1) * z - 3.33329491539e-1;
  return base + (t + t * z * p);
}`,
  // atan2 by octant from atan01_f (the builtin may be off by 4096 ulp), with IEEE's signed
  // zeros and infinities: atan2(±0, -0) = ±pi, atan2(±inf, ±inf) = ±pi/4 or ±3pi/4.
  atan2_f: `fn atan2_f(y: f32, x: f32) -> f32 {
  if (is_nan(x) || is_nan(y)) { return nan_f(); }
  let pi = 3.141592653589793;
  let neg_x = (bitcast<u32>(x) & 0x80000000u) != 0u;
  let ax = abs(x);
  let ay = abs(y);
  var r: f32;
  if (ax == inf_f() && ay == inf_f()) {
    r = select(0.25 * pi, 0.75 * pi, neg_x);
  } else if (ax == 0.0 && ay == 0.0) {
    r = select(0.0, pi, neg_x);
  } else {
    r = atan01_f(min(ax, ay) / max(ax, ay));
    if (ay > ax) { r = 0.5 * pi - r; }
    if (neg_x) { r = pi - r; }
  }
  return select(r, -r, (bitcast<u32>(y) & 0x80000000u) != 0u);
}`,
  // C's fmod, exactly (WGSL's % is x - y * trunc(x / y), rounded): subtracts y * 2^k for k
  // from the exponent difference down to 0; each step is exact (Sterbenz).
  rem_f: `fn rem_f(x: f32, y: f32) -> f32 {
  let ax = abs(x);
  let ay = abs(y);
  if (is_nan(x) || is_nan(y) || ax == inf_f() || ay == 0.0) { return nan_f(); }
  if (ax < ay) { return x; }
  var r = ax;
  var d = ldexp(ay, frexp(ax).exp - frexp(ay).exp);
  if (d > r) { d = d * 0.5; }
  loop {
    if (d < ay) { break; }
    if (r >= d) { r = r - d; }
    d = d * 0.5;
  }
  return select(r, -r, x < 0.0);
}`,
  // JavaScript's ToInt32: truncate, wrap modulo 2^32, NaN and infinities to 0.
  // Truncated, saturated at int32's range, NaN to 0 (as ref and wasm).
  f32_to_i32: `fn f32_to_i32(x: f32) -> i32 {
  if (is_nan(x)) { return 0i; }
  if (x >= 2147483648.0) { return 2147483647i; }
  if (x <= -2147483648.0) { return -2147483647i - 1i; }
  return i32(x);
}`,
};

const withHelpersCache = new Map<string, string>();

/** `body` preceded by the definitions of the helpers it calls, transitively. */
export function withHelpers(body: string): string {
  const cached = withHelpersCache.get(body);
  if (cached !== undefined) return cached;
  const used = new Set<string>();
  const visit = (text: string) => {
    for (const [name, def] of Object.entries(HELPERS)) {
      if (!used.has(name) && text.includes(`${name}(`)) {
        used.add(name);
        visit(def);
      }
    }
  };
  visit(body);
  const names = Object.keys(HELPERS).filter((n) => used.has(n));
  const source = [...names.map((n) => HELPERS[n]), body].join("\n");
  withHelpersCache.set(body, source);
  return source;
}
