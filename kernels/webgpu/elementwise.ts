/**
 * Elementwise kernels: one invocation per element applies a scalar WGSL expression. The tables
 * give each primitive's expression per operand dtype; a missing entry is a dtype the primitive's
 * shape rule already rejects.
 * @module
 */
import type { ShapedArray } from "../../core/aval.ts";
import { AdjointError } from "../../core/errors.ts";
import {
  BINARY_ELEMENTWISE,
  type BinaryElementwiseName,
  UNARY_ELEMENTWISE,
  type UnaryElementwiseName,
} from "../../core/primitives/elementwise.ts";
import { rulesFor } from "../rule_table.ts";
import { allocFor, type GpuRule } from "./rule.ts";
import type { Kernel } from "./runtime.ts";
import { buffer, type GpuDType, grid, KernelParams } from "./wgsl.ts";
import { withHelpers } from "./wgsl_math.ts";

/** A WGSL expression over operand names. */
export type Expr = (args: string[]) => string;

const call = (fn: string): Expr => (args) => `${fn}(${args.join(", ")})`;
const infix = (op: string): Expr => ([x, y]) => `(${x} ${op} ${y})`;
const compare = (op: string): Expr => ([x, y]) => `select(0u, 1u, ${x} ${op} ${y})`;

const FLOAT_UNARY: Record<string, Expr> = {
  neg: ([x]) => `(-${x})`,
  sin: call("sin"),
  cos: call("cos"),
  exp: call("exp"),
  log: call("log_f"),
  log1p: call("log1p_f"),
  expm1: call("expm1_f"),
  tanh: call("tanh_f"),
  logistic: call("logistic_f"),
  sqrt: call("sqrt_f"),
  rsqrt: ([x]) => `(1.0 / sqrt_f(${x}))`,
  abs: call("abs"),
  sign: call("sign_f"),
  erf: call("erf_f"),
  erf_inv: call("erfinv_f"),
  floor: call("floor"),
  ceil: call("ceil"),
  // WGSL's round is half to even, as the primitive.
  round: call("round"),
};

const FLOAT_BINARY: Record<string, Expr> = {
  add: infix("+"),
  sub: infix("-"),
  mul: infix("*"),
  div: infix("/"),
  pow: call("pow_f"),
  atan2: call("atan2_f"),
  rem: call("rem_f"),
  max: call("max_f"),
  min: call("min_f"),
};

const INT_OPS: Record<string, Expr> = {
  neg: ([x]) => `(-${x})`,
  abs: call("abs"),
  sign: call("sign_i"),
  not: ([x]) => `(~${x})`,
  add: infix("+"),
  sub: infix("-"),
  mul: infix("*"),
  div: ([x, y]) => `select(${x} / ${y}, 0i, ${y} == 0i)`,
  rem: call("rem_i"),
  max: call("max"),
  min: call("min"),
  and: infix("&"),
  or: infix("|"),
};

const BOOL_OPS: Record<string, Expr> = {
  not: ([x]) => `(1u - ${x})`,
  and: infix("&"),
  or: infix("|"),
};

const COMPARE: Record<string, Expr> = {
  eq: compare("=="),
  ne: compare("!="),
  lt: compare("<"),
  le: compare("<="),
  gt: compare(">"),
  ge: compare(">="),
};

/** Expression tables by operand dtype. */
const BY_DTYPE: Record<GpuDType, Record<string, Expr>> = {
  float32: { ...FLOAT_UNARY, ...FLOAT_BINARY, ...COMPARE },
  int32: { ...INT_OPS, ...COMPARE },
  bool: { ...BOOL_OPS, ...COMPARE },
};

/** `convert_element_type` expressions by `from` then `to` dtype. */
const CONVERT: Record<GpuDType, Record<GpuDType, Expr>> = {
  float32: {
    float32: ([x]) => x,
    int32: call("f32_to_i32"),
    bool: ([x]) => `select(0u, 1u, ${x} != 0.0)`,
  },
  int32: {
    float32: call("f32"),
    int32: ([x]) => x,
    bool: ([x]) => `select(0u, 1u, ${x} != 0i)`,
  },
  bool: { float32: call("f32"), int32: call("i32"), bool: ([x]) => x },
};

/** A kernel computing `out[i] = expr(in0[i], in1[i], ...)` over `n` elements. */
export function mapKernel(inTypes: GpuDType[], outType: GpuDType, expr: Expr, n: number): Kernel {
  const p = new KernelParams();
  const g = grid(n, p);
  const args = inTypes.map((_, k) => `x${k}`);
  const decls = inTypes.map((t, k) => buffer(k, `in${k}`, t));
  const loads = args.map((a, k) => `let ${a} = in${k}[i];`).join("\n  ");
  const source = withHelpers(`${decls.join("\n")}
${buffer(inTypes.length, "out", outType, true)}
${p.declare(inTypes.length + 1)}
${g.prologue}
  ${loads}
  out[i] = ${expr(args)};
}`);
  return { source, groups: g.groups, params: p.values };
}

/** The rule running one map kernel whose expression `pick` chooses by operand and result type. */
export function mapRule(pick: (inAvals: ShapedArray[], out: ShapedArray) => Expr): GpuRule {
  return (rt, inputs, inAvals, _params, [out]) => {
    const result = allocFor(rt, out);
    const types = inAvals.map((a) => a.dtype as GpuDType);
    const expr = pick(inAvals, out);
    rt.run(mapKernel(types, out.dtype as GpuDType, expr, out.size), [...inputs, result]);
    return [result];
  };
}

/** The expression of `prim` on operands of `dtype`, or an error naming both. */
function lookup(prim: string, dtype: GpuDType): Expr {
  const expr = BY_DTYPE[dtype][prim];
  if (!expr) throw new AdjointError(prim, `no webgpu kernel for ${dtype} operands`);
  return expr;
}

const selectN: Expr = ([p, f, t]) => `select(${f}, ${t}, ${p} != 0u)`;

/**
 * The scalar expression of elementwise primitive `prim` whose first operand has `inType` and
 * whose result has `outType`; fused kernels inline these.
 */
export function elementwiseExpr(prim: string, inType: GpuDType, outType: GpuDType): Expr {
  if (prim === "select_n") return selectN;
  if (prim === "convert_element_type") return CONVERT[inType][outType];
  return lookup(prim, inType);
}

/** WebGPU rules of the elementwise primitives. */
export const elementwiseRules: Record<
  UnaryElementwiseName | BinaryElementwiseName | "select_n" | "convert_element_type",
  GpuRule
> = {
  ...rulesFor(
    [...UNARY_ELEMENTWISE, ...BINARY_ELEMENTWISE],
    (name) => mapRule(([a]) => lookup(name, a.dtype as GpuDType)),
  ),
  select_n: mapRule(() => selectN),
  convert_element_type: mapRule(([a], out) => CONVERT[a.dtype as GpuDType][out.dtype as GpuDType]),
};
