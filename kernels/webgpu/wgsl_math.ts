/**
 * Scalar WGSL functions that the builtins lack or leave undefined, written to match the ref
 * backend: NaN-propagating max/min, sqrt outside its domain, and an exact fmod (`rem`). (Math
 * functions, exp ... atan2, are IR definitions: kernels/lowering/math_definitions.ts.)
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
