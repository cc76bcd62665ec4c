/**
 * Constructors of kernel IR expressions (kernel_ir.ts), each node's dtype taken from its
 * operands as the IR's rules say, for the code that writes IR by hand: the elementwise lowerings
 * (lower_elementwise.ts) and the math definitions (math_definitions.ts).
 *
 * ```ts
 * import { binaryExpr, constant } from "./ir_builders.ts";
 * const twice = (x: ReturnType<typeof constant>) => binaryExpr("mul", x, constant("float32", 2));
 * console.log(twice(constant("float32", 3)).kind); // "binary"
 * ```
 * @module
 */
import type { DType } from "../../core/dtype.ts";
import type { BinaryOp, CompareOp, Expr, UnaryOp } from "./kernel_ir.ts";

/** A constant of `dtype`. */
export const constant = (dtype: DType, value: number): Expr => ({ kind: "const", dtype, value });

/** `op a`, in `a`'s dtype. */
export const unaryExpr = (op: UnaryOp, a: Expr): Expr => ({ kind: "unary", op, dtype: a.dtype, a });

/** `a op b`, in `a`'s dtype. */
export const binaryExpr = (op: BinaryOp, a: Expr, b: Expr): Expr => ({
  kind: "binary",
  op,
  dtype: a.dtype,
  a,
  b,
});

/** The comparison `a op b`, a bool. */
export const compareExpr = (op: CompareOp, a: Expr, b: Expr): Expr => ({
  kind: "compare",
  op,
  dtype: "bool",
  a,
  b,
});

/** `cond ? onTrue : onFalse`. */
export const select = (cond: Expr, onTrue: Expr, onFalse: Expr): Expr => ({
  kind: "select",
  dtype: onTrue.dtype,
  cond,
  onTrue,
  onFalse,
});
