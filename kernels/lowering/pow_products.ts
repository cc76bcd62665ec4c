/**
 * Integral powers by products, shared by the float32 and float64 `pow` definitions
 * (math_definitions.ts, math_definitions_f64.ts): for integral |y| up to `POW_PRODUCTS`, x^y is
 * a product of x, x^2 and x^4, so that x^2 is exactly x * x and each result is exact where x^y
 * is representable.
 * @module
 */
import type { Expr } from "./kernel_ir.ts";
import { binaryExpr, compareExpr, constant, select, unaryExpr } from "./ir_builders.ts";

/** Integral exponents up to this magnitude are products of x, x^2, x^4. */
export const POW_PRODUCTS = 4;

/**
 * x^|y| by products of x, x^2 and x^4 picked by the bits of |y| (an integer up to
 * `POW_PRODUCTS`), its reciprocal for negative y, in x's dtype. For a constant y, the product of
 * the factors picked (the others are 1, which multiplies exactly).
 */
export function powProducts(x: Expr, y: Expr): Expr {
  const mul = (a: Expr, b: Expr) => binaryExpr("mul", a, b);
  const one = constant(x.dtype, 1);
  const reciprocal = (p: Expr) => binaryExpr("div", one, p);
  const x2 = mul(x, x);
  const powers: [number, Expr][] = [[1, x], [2, x2], [4, mul(x2, x2)]];
  if (y.kind === "const") {
    const picked = powers.filter(([bit]) => Math.abs(y.value) & bit).map(([, v]) => v);
    const p = picked.length ? picked.reduce(mul) : one;
    return y.value < 0 ? reciprocal(p) : p;
  }
  const n: Expr = { kind: "convert", dtype: "int32", a: unaryExpr("abs", y) };
  const bitOf = (bit: number) =>
    compareExpr("eq", binaryExpr("and", n, constant("int32", bit)), constant("int32", 0));
  const p = powers.map(([bit, v]) => select(bitOf(bit), one, v)).reduce(mul);
  return select(compareExpr("lt", y, constant(y.dtype, 0)), reciprocal(p), p);
}
