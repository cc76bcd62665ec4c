/**
 * The fuzzer's rules: one entry per kind of node, each building a well-typed call of a public
 * function from a node's raw choices, or declining (null) when no operand fits. Together they
 * cover the elementwise, comparison, selection, conversion, bitwise, reduction, structural,
 * indexing, sorting, contraction, convolution, window and random-bits primitives.
 *
 * Rules keep programs inside every function's domain by construction (`log(x^2 + 1/2)`, a divisor
 * `y^2 + 1`, `exp` of a bounded value) and apply value-discontinuous functions (comparisons,
 * rounding, argmax, sorting, conversion to int or bool) only to exact values (see types.ts), so
 * every backend must agree on them bit for bit.
 * @module
 */
import { promoteTypes, weakDType } from "../../core/dtype.ts";
import type { DType } from "../../mod.ts";
import { type Ctx, integers, quarters } from "./choices.ts";
import { call, type Expr, item, list, lit, type Literal, ref } from "./expr.ts";
import {
  broadcast,
  broadcastsTo,
  factors,
  normAxis,
  reducedCount,
  reducedShape,
  sliceLength,
} from "./shapes.ts";
import {
  type Exact,
  exactAdd,
  exactEither,
  exactLiteral,
  exactMul,
  exactOfData,
  exactPow,
  exactSum,
  isFloatDType,
  sizeOf,
  type VType,
  vtype,
} from "./types.ts";

/** A node: its expression and its type. */
export interface Built {
  expr: Expr;
  type: VType;
}

/** How to build one kind of node; `weight` sets how often it is tried. */
export interface Rule {
  weight: number;
  build(ctx: Ctx): Built | null;
}

/** Largest magnitude a value may reach, so float32 never overflows, even in gradients. */
const MAX_BOUND = 1e4;

const isFloat = (t: VType) => isFloatDType(t.dtype);
const numeric = (t: VType) => t.dtype !== "bool";
const exact = (t: VType) => t.exact !== null;
const ranked = (t: VType) => t.shape.length > 0;

/** A second operand: an array value, or a JS number literal (weakly typed). */
interface Operand {
  expr: Expr;
  type: VType;
  weak?: number;
}

function value(ctx: Ctx, id: number): Operand {
  return { expr: ref(id), type: ctx.types[id] };
}

function literal(v: number): Operand {
  return { expr: lit(v), type: vtype([], "float32", Math.abs(v), exactLiteral(v)), weak: v };
}

/** The dtype `np.add(x, y)` computes in, JS numbers weakly typed as in the library. */
function joint(x: Operand, y: Operand): DType {
  if (x.weak !== undefined && y.weak !== undefined) return "float32";
  if (y.weak !== undefined) return promoteTypes(x.type.dtype, weakDType(y.weak, x.type.dtype));
  if (x.weak !== undefined) return promoteTypes(y.type.dtype, weakDType(x.weak, y.type.dtype));
  return promoteTypes(x.type.dtype, y.type.dtype);
}

/**
 * A partner for `x` in a broadcasting binary op: sometimes a literal from `literals`, else a value
 * that broadcasts with `x` and satisfies `ok`, else `x` itself when it qualifies.
 */
function partner(
  ctx: Ctx,
  x: number,
  ok: (t: VType) => boolean,
  literals: readonly number[],
): Operand | null {
  const tx = ctx.types[x];
  if (literals.length && ctx.chance(4)) return literal(ctx.oneOf(literals));
  const y = ctx.pick(ctx.choice.b, (t) => ok(t) && broadcast(t.shape, tx.shape) !== null);
  if (y !== undefined) return value(ctx, y);
  if (ok(tx)) return value(ctx, x);
  return literals.length ? literal(literals[0]) : null;
}

/** The node, or null when its value would be empty, too large, or large enough to overflow. */
function node(ctx: Ctx, expr: Expr, type: VType): Built | null {
  if (type.shape.some((d) => d < 1) || sizeOf(type.shape) > ctx.maxSize) return null;
  // int32 wraps by definition; a float that large could overflow in a gradient.
  if (isFloatDType(type.dtype) && !(type.bound <= MAX_BOUND)) return null;
  return { expr, type };
}

/** The float dtype a float-only unary function computes `t` in. */
function floatOf(t: VType): DType {
  return isFloat(t) ? t.dtype : "float32";
}

// ---------------------------------------------------------------- elementwise

/**
 * `x` scaled by a power of two (exactly) into `[-domain, domain]`: what a smooth function is
 * applied to, so exp cannot overflow and tanh and sigmoid stay off their flat tails, where
 * their derivatives (`1 - t^2`, `s (1 - s)`) cancel to noise that differs between backends.
 */
function tamed(x: Expr, t: VType, domain: number): [Expr, number] {
  if (t.bound <= domain) return [x, t.bound];
  const k = Math.ceil(Math.log2(t.bound / domain));
  return [call("np.multiply", x, 2 ** -k), t.bound * 2 ** -k];
}

/** Smooth functions: each with the bound of its output and the widest input it takes. */
const SMOOTH: Record<
  string,
  { f: (x: Expr) => Expr; bound: (b: number) => number; domain: number }
> = {
  sin: { f: (x) => call("np.sin", x), bound: () => 1, domain: 16 },
  cos: { f: (x) => call("np.cos", x), bound: () => 1, domain: 16 },
  tanh: { f: (x) => call("np.tanh", x), bound: () => 1, domain: 3 },
  sigmoid: { f: (x) => call("np.sigmoid", x), bound: () => 1, domain: 6 },
  erf: { f: (x) => call("np.erf", x), bound: () => 1, domain: 3 },
  exp: { f: (x) => call("np.exp", x), bound: (b) => Math.exp(b), domain: 4 },
  expm1: { f: (x) => call("np.expm1", x), bound: (b) => Math.exp(b), domain: 4 },
  log: {
    f: (x) => call("np.log", call("np.add", call("np.square", x), 0.5)),
    bound: (b) => Math.max(0.7, Math.log(b * b + 0.5)),
    domain: 100,
  },
  log1p: {
    f: (x) => call("np.log1p", call("np.square", x)),
    bound: (b) => Math.log1p(b * b),
    domain: 100,
  },
  sqrt: {
    f: (x) => call("np.sqrt", call("np.add", call("np.square", x), 0.25)),
    bound: (b) => Math.sqrt(b * b + 0.25),
    domain: 100,
  },
  rsqrt: {
    f: (x) => call("np.rsqrt", call("np.add", call("np.square", x), 1)),
    bound: () => 1,
    domain: 100,
  },
  reciprocal: {
    f: (x) => call("np.reciprocal", call("np.add", call("np.square", x), 1)),
    bound: () => 1,
    domain: 100,
  },
  erfInv: { f: (x) => call("np.erfInv", x), bound: () => 1.3, domain: 0.9 },
  arcsinh: { f: (x) => call("np.arcsinh", x), bound: (b) => Math.asinh(b), domain: 100 },
  arccosh: {
    f: (x) => call("np.arccosh", call("np.add", call("np.square", x), 1.5)),
    bound: (b) => Math.acosh(b * b + 1.5),
    domain: 100,
  },
  // Both signs, away from the infinite slope at 0.
  cbrt: {
    f: (x) =>
      call(
        "np.add",
        call("np.cbrt", call("np.add", x, 4)),
        call("np.cbrt", call("np.subtract", x, 4)),
      ),
    bound: () => 2 * Math.cbrt(6),
    domain: 2,
  },
  softplus: { f: (x) => call("nn.softplus", x), bound: (b) => b + 0.7, domain: 100 },
  gelu: { f: (x) => call("nn.gelu", x), bound: (b) => b + 0.2, domain: 100 },
};

function smooth(ctx: Ctx): Built | null {
  const x = ctx.pick(ctx.choice.a, numeric);
  if (x === undefined) return null;
  const t = ctx.types[x];
  const fn = SMOOTH[ctx.oneOf(Object.keys(SMOOTH))];
  const [arg, b] = tamed(ref(x), t, fn.domain);
  return node(ctx, fn.f(arg), vtype(t.shape, floatOf(t), fn.bound(b), null));
}

/** Functions with kinks or jumps in their derivative, and how they change exactness. */
function kinked(ctx: Ctx): Built | null {
  const x = ctx.pick(ctx.choice.a, numeric);
  if (x === undefined) return null;
  const t = ctx.types[x];
  const int = t.dtype === "int32";
  switch (ctx.take(4)) {
    case 0:
      return node(ctx, call("np.abs", ref(x)), t);
    case 1:
      return node(ctx, call("np.relu", ref(x)), t);
    case 2: {
      const lo = int ? ctx.oneOf([-2, -1, 0]) : ctx.oneOf([-1.5, -0.5, 0]);
      const hi = lo + (int ? 2 : ctx.oneOf([0.5, 1, 2]));
      const e = exactEither(t.exact, exactEither(exactLiteral(lo), exactLiteral(hi)));
      return node(
        ctx,
        call("np.clip", ref(x), lo, hi),
        vtype(t.shape, t.dtype, Math.max(Math.abs(lo), Math.abs(hi)), e),
      );
    }
    default: {
      const y = partner(ctx, x, numeric, int ? [0, 2] : [0, 0.5, -1]);
      if (!y) return null;
      const shape = broadcast(t.shape, y.type.shape)!;
      const fn = ctx.chance(2) ? "np.minimum" : "np.maximum";
      return node(
        ctx,
        call(fn, ref(x), y.expr),
        vtype(
          shape,
          joint(value(ctx, x), y),
          Math.max(t.bound, y.type.bound),
          exactEither(t.exact, y.type.exact),
        ),
      );
    }
  }
}

/** neg, square, stopGradient: defined everywhere, exactness kept (or squared). */
function plainUnary(ctx: Ctx): Built | null {
  const x = ctx.pick(ctx.choice.a, numeric);
  if (x === undefined) return null;
  const t = ctx.types[x];
  switch (ctx.take(3)) {
    case 0:
      return node(ctx, call("np.negative", ref(x)), t);
    case 1:
      return node(
        ctx,
        call("np.square", ref(x)),
        vtype(t.shape, t.dtype, t.bound * t.bound, exactMul(t.exact, t.exact)),
      );
    default:
      return isFloat(t) ? node(ctx, call("np.stopGradient", ref(x)), t) : null;
  }
}

/** sign, floor, ceil, round: piecewise constant, so only on exact values. */
function rounding(ctx: Ctx): Built | null {
  const x = ctx.pick(ctx.choice.a, (t) => numeric(t) && exact(t));
  if (x === undefined) return null;
  const t = ctx.types[x];
  const fn = ctx.oneOf(["np.sign", "np.floor", "np.ceil", "np.round"] as const);
  if (fn === "np.sign") {
    return node(ctx, call(fn, ref(x)), vtype(t.shape, t.dtype, 1, { g: 0, m: 1 }));
  }
  if (!isFloat(t)) return null;
  const e: Exact = { g: 0, m: Math.max(1, t.exact!.m - t.exact!.g + 1) };
  return node(ctx, call(fn, ref(x)), vtype(t.shape, t.dtype, t.bound + 1, e));
}

function arithmetic(ctx: Ctx): Built | null {
  const x = ctx.pick(ctx.choice.a, numeric);
  if (x === undefined) return null;
  const tx = ctx.types[x];
  const int = tx.dtype === "int32";
  const y = partner(ctx, x, numeric, int ? [1, -2, 3, 0.5] : [0.5, -1, 2, 0.25]);
  if (!y) return null;
  const ty = y.type;
  const shape = broadcast(tx.shape, ty.shape)!;
  const dtype = joint(value(ctx, x), y);
  switch (ctx.take(4)) {
    case 0:
      return node(
        ctx,
        call("np.add", ref(x), y.expr),
        vtype(shape, dtype, tx.bound + ty.bound, exactAdd(tx.exact, ty.exact)),
      );
    case 1:
      return node(
        ctx,
        call("np.subtract", ref(x), y.expr),
        vtype(shape, dtype, tx.bound + ty.bound, exactAdd(tx.exact, ty.exact)),
      );
    case 2:
      return node(
        ctx,
        call("np.multiply", ref(x), y.expr),
        vtype(shape, dtype, tx.bound * ty.bound, exactMul(tx.exact, ty.exact)),
      );
    default: {
      // A divisor that never vanishes.
      const d = call("np.add", call("np.square", y.expr), 1);
      const fd = isFloatDType(dtype) ? dtype : "float32";
      return node(ctx, call("np.divide", ref(x), d), vtype(shape, fd, tx.bound, null));
    }
  }
}

/** `x / c` for a literal c: exact when c is a power of two. */
function divideByLiteral(ctx: Ctx): Built | null {
  const x = ctx.pick(ctx.choice.a, numeric);
  if (x === undefined) return null;
  const t = ctx.types[x];
  const c = ctx.oneOf([2, -4, 0.5, 3]);
  const k = Math.log2(Math.abs(c));
  const e = Number.isInteger(k) && t.exact ? { g: t.exact.g + k, m: t.exact.m } : null;
  return node(
    ctx,
    call("np.divide", ref(x), c),
    vtype(t.shape, floatOf(t), t.bound / Math.abs(c), e),
  );
}

function power(ctx: Ctx): Built | null {
  const x = ctx.pick(ctx.choice.a, numeric);
  if (x === undefined) return null;
  const tx = ctx.types[x];
  if (ctx.chance(2)) {
    const k = ctx.oneOf([2, 3]);
    const e = exactPow(tx.exact, k);
    return node(ctx, call("np.power", ref(x), k), vtype(tx.shape, floatOf(tx), tx.bound ** k, e));
  }
  // A positive base, and an exponent of at most 2 in magnitude.
  const y = partner(ctx, x, numeric, []);
  if (!y) return null;
  const [exponent, eb] = tamed(y.expr, y.type, 2);
  const base = call("np.add", call("np.square", ref(x)), 0.5);
  const shape = broadcast(tx.shape, y.type.shape)!;
  const d = joint(value(ctx, x), y);
  const bb = tx.bound * tx.bound + 0.5;
  return node(
    ctx,
    call("np.power", base, exponent),
    vtype(shape, isFloatDType(d) ? d : "float32", Math.max(bb ** eb, 2 ** eb), null),
  );
}

function comparison(ctx: Ctx): Built | null {
  const x = ctx.pick(ctx.choice.a, exact);
  if (x === undefined) return null;
  const tx = ctx.types[x];
  const ok = (t: VType) => exact(t) && (t.dtype === "bool") === (tx.dtype === "bool");
  const y = partner(ctx, x, ok, tx.dtype === "bool" ? [] : [0, 0.5, -1, 1]);
  if (!y) return null;
  const fns = tx.dtype === "bool" ? ["np.equal", "np.notEqual"] as const : [
    "np.less",
    "np.lessEqual",
    "np.greater",
    "np.greaterEqual",
    "np.equal",
    "np.notEqual",
  ] as const;
  const shape = broadcast(tx.shape, y.type.shape)!;
  return node(ctx, call(ctx.oneOf(fns), ref(x), y.expr), vtype(shape, "bool", 1, { g: 0, m: 1 }));
}

function logical(ctx: Ctx): Built | null {
  const x = ctx.pick(ctx.choice.a, (t) => t.dtype === "bool");
  if (x === undefined) return null;
  const tx = ctx.types[x];
  const b = { g: 0, m: 1 };
  if (ctx.chance(3)) return node(ctx, call("np.logicalNot", ref(x)), tx);
  const y = partner(ctx, x, (t) => t.dtype === "bool", []);
  if (!y) return null;
  const shape = broadcast(tx.shape, y.type.shape)!;
  const fn = ctx.chance(2) ? "np.logicalOr" : "np.logicalAnd";
  return node(ctx, call(fn, ref(x), y.expr), vtype(shape, "bool", 1, b));
}

/** `np.where(cond, x, y)`: cond a bool value, or a comparison of an exact one. */
function where(ctx: Ctx): Built | null {
  const x = ctx.pick(ctx.choice.a);
  if (x === undefined) return null;
  const tx = ctx.types[x];
  const fits = (t: VType) => broadcast(t.shape, tx.shape) !== null;
  let cond: Operand;
  // Masks made by earlier nodes (often in earlier kernels) are preferred, of x's own shape.
  const same = (t: VType) => t.shape.join() === tx.shape.join();
  const c = ctx.pick(ctx.take(64), (t) => t.dtype === "bool" && same(t)) ??
    ctx.pick(ctx.take(64), (t) => t.dtype === "bool" && fits(t));
  if (c !== undefined && !ctx.chance(4)) cond = value(ctx, c);
  else {
    const e = ctx.pick(ctx.take(64), (t) => exact(t) && numeric(t) && fits(t));
    if (e === undefined) return null;
    cond = {
      expr: call("np.greater", ref(e), ctx.oneOf([0, 0.5, -1])),
      type: vtype(ctx.types[e].shape, "bool", 1, { g: 0, m: 1 }),
    };
  }
  const lits = tx.dtype === "bool" ? [] : tx.dtype === "int32" ? [0, 2] : [0, -0.5, 2];
  const y = partner(
    ctx,
    x,
    (t) =>
      broadcast(t.shape, tx.shape, cond.type.shape) !== null && (t.dtype === "bool") ===
        (tx.dtype === "bool"),
    lits,
  );
  if (!y) return null;
  const shape = broadcast(cond.type.shape, tx.shape, y.type.shape);
  if (!shape) return null;
  return node(
    ctx,
    call("np.where", cond.expr, ref(x), y.expr),
    vtype(
      shape,
      joint(value(ctx, x), y),
      Math.max(tx.bound, y.type.bound),
      exactEither(tx.exact, y.type.exact),
    ),
  );
}

function convert(ctx: Ctx): Built | null {
  const x = ctx.pick(ctx.choice.a);
  if (x === undefined) return null;
  const t = ctx.types[x];
  const targets: DType[] = ["float32", "int32", "bool"];
  if (ctx.float === "float64") targets.push("float64");
  const to = ctx.oneOf(targets.filter((d) => d !== t.dtype));
  // Truncation and the test against zero jump: only exact floats convert to int or bool.
  if (isFloat(t) && !isFloatDType(to) && !exact(t)) return null;
  if (to === "int32" && t.bound >= 2 ** 31) return null;
  let e = t.exact;
  if (to === "bool") e = { g: 0, m: 1 };
  else if (to === "int32" && e) e = { g: 0, m: Math.max(1, e.m - e.g + 1) };
  return node(
    ctx,
    call("np.astype", ref(x), to),
    vtype(t.shape, to, to === "bool" ? 1 : t.bound + 1, e),
  );
}

/** Bitwise xor and shifts of int32 words, and the bits of exact float32 values as words. */
function bitwise(ctx: Ctx): Built | null {
  const x = ctx.pick(
    ctx.choice.a,
    (t) => t.dtype === "int32" || (t.dtype === "float32" && exact(t)),
  );
  if (x === undefined) return null;
  const t = ctx.types[x];
  const word = vtype(t.shape, "int32", 2 ** 31, { g: 0, m: 31 });
  if (t.dtype === "float32") {
    return node(ctx, call("lax.bitcastConvertType", ref(x), "int32"), word);
  }
  const fn = ctx.oneOf(
    ["lax.xor", "lax.shiftLeft", "lax.shiftRightLogical", "lax.shiftRightArithmetic"] as const,
  );
  if (fn === "lax.xor") {
    const y = ctx.pick(ctx.choice.b, (u) => u.dtype === "int32" && broadcastsTo(u.shape, t.shape));
    const other = y === undefined ? ref(x) : call("np.broadcastTo", ref(y), t.shape);
    return node(ctx, call(fn, ref(x), other), word);
  }
  const s = call("np.full", t.shape, ctx.take(5), "int32");
  return node(ctx, call(fn, ref(x), s), word);
}

/** `lax.div` on int32: C division by a divisor that never vanishes. */
function integerDivide(ctx: Ctx): Built | null {
  const x = ctx.pick(ctx.choice.a, (t) => t.dtype === "int32");
  if (x === undefined) return null;
  const t = ctx.types[x];
  const y = ctx.pick(ctx.choice.b, (u) => u.dtype === "int32" && broadcastsTo(u.shape, t.shape));
  const d = call("np.add", call("np.abs", ref(y ?? x)), 1);
  return node(ctx, call("lax.div", ref(x), call("np.broadcastTo", d, t.shape)), t);
}

// ---------------------------------------------------------------- reductions

/** Axes for a reduction: all (undefined), one (maybe negative), or a list. */
function reductionAxes(ctx: Ctx, rank: number): number[] | number | undefined {
  if (rank === 0) return undefined;
  switch (ctx.take(3)) {
    case 0: {
      const a = ctx.take(rank);
      return ctx.chance(2) ? a - rank : a;
    }
    case 1: {
      const axes = Array.from({ length: rank }, (_, i) => i).filter(() => ctx.chance(2));
      return axes.length ? axes.map((a) => (ctx.chance(3) ? a - rank : a)) : [rank - 1];
    }
    default:
      return undefined;
  }
}

/**
 * `x, axes, keepdims` as a reduction's arguments: positional with trailing defaults left out,
 * or NumPy's keywords as an options object.
 */
function axisArgs(ctx: Ctx, x: Expr, axes: number[] | number | undefined, keepdims: boolean) {
  if (ctx.chance(3)) {
    const options: Record<string, Literal> = {};
    if (axes !== undefined) options.axis = axes;
    if (keepdims) options.keepdims = true;
    return [x, options];
  }
  const args: (Expr | number | number[] | boolean | undefined)[] = [x];
  if (axes !== undefined || keepdims) args.push(axes);
  if (keepdims) args.push(true);
  return args;
}

function axesList(axes: number[] | number | undefined): number[] | undefined {
  return typeof axes === "number" ? [axes] : axes;
}

function reduction(ctx: Ctx): Built | null {
  const fn = ctx.oneOf(["sum", "prod", "max", "min", "mean", "logsumexp", "var"] as const);
  const needsNumber = fn !== "sum" && fn !== "prod";
  const x = ctx.pick(ctx.choice.a, (t) => !needsNumber || numeric(t));
  if (x === undefined) return null;
  const t = ctx.types[x];
  const axes = reductionAxes(ctx, t.shape.length);
  const keepdims = ctx.chance(2);
  const shape = reducedShape(t.shape, axesList(axes), keepdims);
  const n = reducedCount(t.shape, axesList(axes));
  const wide = t.dtype === "bool" ? "int32" : t.dtype;
  const e = call(`np.${fn}`, ...axisArgs(ctx, ref(x), axes, keepdims));
  const tb = t.exact && t.dtype === "bool" ? { g: 0, m: 1 } : t.exact;
  switch (fn) {
    case "sum":
      return node(ctx, e, vtype(shape, wide, t.bound * n, exactSum(tb, n)));
    case "prod":
      return node(ctx, e, vtype(shape, wide, Math.max(1, t.bound) ** n, exactPow(tb, n)));
    case "max":
    case "min":
      return node(ctx, e, vtype(shape, t.dtype, t.bound, t.exact));
    case "mean": {
      const k = Math.log2(n);
      const ex = Number.isInteger(k) && t.exact ? { g: t.exact.g + k, m: t.exact.m } : null;
      return node(ctx, e, vtype(shape, floatOf(t), t.bound, ex));
    }
    case "logsumexp":
      return node(ctx, e, vtype(shape, floatOf(t), t.bound + Math.log(n) + 1, null));
    case "var":
      return node(ctx, e, vtype(shape, floatOf(t), 4 * t.bound * t.bound, null));
  }
}

function argReduction(ctx: Ctx): Built | null {
  const x = ctx.pick(ctx.choice.a, (t) => exact(t) && numeric(t));
  if (x === undefined) return null;
  const t = ctx.types[x];
  const fn = ctx.chance(2) ? "np.argmin" : "np.argmax";
  const rank = t.shape.length;
  const axis = rank === 0 || ctx.chance(4)
    ? undefined
    : ctx.take(rank) - (ctx.chance(2) ? rank : 0);
  const keepdims = axis !== undefined && ctx.chance(3);
  const shape = axis === undefined ? [] : reducedShape(t.shape, [axis], keepdims);
  const n = axis === undefined ? sizeOf(t.shape) : t.shape[normAxis(axis, rank)];
  const m = Math.max(1, Math.ceil(Math.log2(n + 1)));
  return node(
    ctx,
    call(fn, ...axisArgs(ctx, ref(x), axis, keepdims)),
    vtype(shape, "int32", n, { g: 0, m }),
  );
}

function boolReduction(ctx: Ctx): Built | null {
  const x = ctx.pick(ctx.choice.a, (t) => t.dtype === "bool" || exact(t));
  if (x === undefined) return null;
  const t = ctx.types[x];
  const axes = reductionAxes(ctx, t.shape.length);
  const keepdims = ctx.chance(3);
  const shape = reducedShape(t.shape, axesList(axes), keepdims);
  const fn = ctx.chance(2) ? "np.all" : "np.any";
  return node(
    ctx,
    call(fn, ...axisArgs(ctx, ref(x), axes, keepdims)),
    vtype(shape, "bool", 1, { g: 0, m: 1 }),
  );
}

function softmax(ctx: Ctx): Built | null {
  const x = ctx.pick(ctx.choice.a, (t) => isFloat(t) && ranked(t));
  if (x === undefined) return null;
  const t = ctx.types[x];
  const rank = t.shape.length;
  const axis = ctx.take(rank) - (ctx.chance(2) ? rank : 0);
  const log = ctx.chance(2);
  const n = t.shape[normAxis(axis, rank)];
  return node(
    ctx,
    call(log ? "nn.logSoftmax" : "nn.softmax", ref(x), ctx.chance(3) ? { axis } : axis),
    vtype(t.shape, t.dtype, log ? 2 * t.bound + Math.log(n) + 1 : 1, null),
  );
}

// ---------------------------------------------------------------- structural

function reshape(ctx: Ctx): Built | null {
  const x = ctx.pick(ctx.choice.a);
  if (x === undefined) return null;
  const t = ctx.types[x];
  const fs = factors(sizeOf(t.shape));
  const dims: number[] = [];
  for (const f of fs) {
    if (dims.length && ctx.chance(2)) dims[ctx.take(dims.length)] *= f;
    else dims.push(f);
  }
  for (let k = ctx.take(3); k > 0; k--) dims.splice(ctx.take(dims.length + 1), 0, 1);
  const shape = [...dims];
  if (shape.length && ctx.chance(4)) shape[ctx.take(shape.length)] = -1;
  return node(ctx, call("np.reshape", ref(x), shape), { ...t, shape: dims });
}

function transpose(ctx: Ctx): Built | null {
  const x = ctx.pick(ctx.choice.a, (t) => t.shape.length >= 2);
  if (x === undefined) return null;
  const t = ctx.types[x];
  const rank = t.shape.length;
  switch (ctx.take(3)) {
    case 0:
      return node(ctx, call("np.transpose", ref(x)), { ...t, shape: [...t.shape].reverse() });
    case 1: {
      const s = ctx.take(rank), d = ctx.take(rank);
      const perm = Array.from({ length: rank }, (_, i) => i).filter((i) => i !== s);
      perm.splice(d, 0, s);
      return node(ctx, call("np.moveaxis", ref(x), s - (ctx.chance(2) ? rank : 0), d), {
        ...t,
        shape: perm.map((i) => t.shape[i]),
      });
    }
    default: {
      const rest = Array.from({ length: rank }, (_, i) => i);
      const perm: number[] = [];
      while (rest.length) perm.push(rest.splice(ctx.take(rest.length), 1)[0]);
      return node(ctx, call("np.transpose", ref(x), perm), {
        ...t,
        shape: perm.map((i) => t.shape[i]),
      });
    }
  }
}

function broadcastTo(ctx: Ctx): Built | null {
  const x = ctx.pick(ctx.choice.a);
  if (x === undefined) return null;
  const t = ctx.types[x];
  const lead = Array.from({ length: ctx.take(3) }, () => 1 + ctx.take(3));
  const shape = [...lead, ...t.shape.map((d) => (d === 1 ? 1 + ctx.take(4) : d))];
  if (shape.length === t.shape.length && shape.every((d, i) => d === t.shape[i])) {
    shape.unshift(2);
  }
  return node(ctx, call("np.broadcastTo", ref(x), shape), { ...t, shape });
}

function expandOrSqueeze(ctx: Ctx): Built | null {
  const x = ctx.pick(ctx.choice.a);
  if (x === undefined) return null;
  const t = ctx.types[x];
  const rank = t.shape.length;
  const ones = t.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  if (ones.length && ctx.chance(2)) {
    if (ctx.chance(2)) {
      return node(ctx, call("np.squeeze", ref(x)), { ...t, shape: t.shape.filter((d) => d !== 1) });
    }
    const a = ctx.oneOf(ones);
    return node(ctx, call("np.squeeze", ref(x), ctx.chance(2) ? a - rank : a), {
      ...t,
      shape: t.shape.filter((_, i) => i !== a),
    });
  }
  const a = ctx.take(rank + 1);
  const shape = [...t.shape];
  shape.splice(a, 0, 1);
  return node(ctx, call("np.expandDims", ref(x), ctx.chance(2) ? a - rank - 1 : a), {
    ...t,
    shape,
  });
}

function flip(ctx: Ctx): Built | null {
  const x = ctx.pick(ctx.choice.a, ranked);
  if (x === undefined) return null;
  const t = ctx.types[x];
  const rank = t.shape.length;
  if (ctx.chance(4)) return node(ctx, call("np.flip", ref(x)), t);
  const axes = Array.from({ length: rank }, (_, i) => i).filter(() => ctx.chance(2));
  const arg = axes.length === 0 ? ctx.take(rank) - (ctx.chance(2) ? rank : 0) : axes;
  return node(ctx, call("np.flip", ref(x), arg), t);
}

function concatenate(ctx: Ctx): Built | null {
  const x = ctx.pick(ctx.choice.a, ranked);
  if (x === undefined) return null;
  const t = ctx.types[x];
  const rank = t.shape.length;
  const axis = ctx.take(rank);
  const fits = (u: VType) =>
    u.shape.length === rank && u.shape.every((d, i) => i === axis || d === t.shape[i]) &&
    (u.dtype === "bool") === (t.dtype === "bool");
  const parts: Operand[] = [value(ctx, x)];
  for (let k = 1 + ctx.take(2); k > 0; k--) {
    const y = ctx.pick(ctx.take(64), fits);
    parts.push(value(ctx, y ?? x));
  }
  if (ctx.chance(3)) parts.reverse();
  const stack = ctx.chance(4) && parts.every((p) => p.type.shape[axis] === t.shape[axis]);
  let dtype = parts[0].type.dtype;
  for (const p of parts) dtype = promoteTypes(dtype, p.type.dtype);
  const bound = Math.max(...parts.map((p) => p.type.bound));
  const ex = parts.reduce<Exact | null>(
    (e, p) => exactEither(e, p.type.exact),
    parts[0].type.exact,
  );
  const items = list(...parts.map((p) => p.expr));
  if (stack) {
    const a = ctx.take(rank + 1);
    const shape = [...t.shape];
    shape.splice(a, 0, parts.length);
    return node(ctx, call("np.stack", items, a), vtype(shape, dtype, bound, ex));
  }
  const shape = [...t.shape];
  shape[axis] = parts.reduce((n, p) => n + p.type.shape[axis], 0);
  const a = ctx.chance(2) ? axis - rank : axis;
  return node(ctx, call("np.concatenate", items, a), vtype(shape, dtype, bound, ex));
}

function pad(ctx: Ctx): Built | null {
  const x = ctx.pick(ctx.choice.a, ranked);
  if (x === undefined) return null;
  const t = ctx.types[x];
  const widths = t.shape.map(() => [ctx.take(3), ctx.take(2)] as [number, number]);
  const v = t.dtype === "bool" ? 0 : ctx.oneOf([0, 0, 1.5, -2]);
  const vt = t.dtype === "int32" ? Math.trunc(v) : v;
  const shape = t.shape.map((d, i) => d + widths[i][0] + widths[i][1]);
  const e = exactEither(t.exact, exactLiteral(vt));
  const args: (Expr | number | [number, number][])[] = [ref(x), widths];
  if (vt !== 0) args.push(vt);
  return node(
    ctx,
    call("np.pad", ...args),
    vtype(shape, t.dtype, Math.max(t.bound, Math.abs(vt)), e),
  );
}

/** Basic indexing `x[i, a:b:s, None, ...]` through `np.index`. */
function index(ctx: Ctx): Built | null {
  const x = ctx.pick(ctx.choice.a, ranked);
  if (x === undefined) return null;
  const t = ctx.types[x];
  const args: Expr[] = [];
  const shape: number[] = [];
  const used = ctx.take(t.shape.length) + 1;
  for (let d = 0; d < used; d++) {
    const n = t.shape[d];
    if (ctx.chance(6)) {
      args.push(lit(null));
      shape.push(1);
    }
    const kind = ctx.take(4);
    if (kind === 1) {
      const i = ctx.take(n);
      args.push(lit(ctx.chance(2) ? i - n : i));
      continue;
    }
    if (kind === 0) {
      args.push(call("np.s"));
      shape.push(n);
      continue;
    }
    const step = ctx.oneOf([1, 2, -1, -2, 3]);
    const bound = (): number | undefined => {
      if (ctx.chance(3)) return undefined;
      const v = ctx.take(n + 1);
      return ctx.chance(3) ? v - n : v;
    };
    const start = bound(), stop = bound();
    const len = sliceLength(n, start, stop, step);
    if (len === 0) {
      args.push(call("np.s", undefined, undefined, step));
      shape.push(sliceLength(n, undefined, undefined, step));
    } else {
      const sl: (number | undefined)[] = [start, stop];
      if (step !== 1) sl.push(step);
      while (sl.length && sl[sl.length - 1] === undefined) sl.pop();
      args.push(call("np.s", ...sl));
      shape.push(len);
    }
  }
  if (used < t.shape.length && ctx.chance(2)) args.push(lit("..."));
  shape.push(...t.shape.slice(used));
  return node(ctx, call("np.index", ref(x), ...args), { ...t, shape });
}

/** `np.take` with literal indices, or with computed ones clipped into range. */
function take(ctx: Ctx): Built | null {
  const x = ctx.pick(ctx.choice.a, ranked);
  if (x === undefined) return null;
  const t = ctx.types[x];
  const rank = t.shape.length;
  const flat = ctx.chance(4);
  const axis = flat ? undefined : ctx.take(rank);
  const n = axis === undefined ? sizeOf(t.shape) : t.shape[axis];
  let idx: Expr, idxShape: number[];
  const computed = ctx.chance(3)
    ? ctx.pick(ctx.take(64), (u) => u.dtype === "int32" && sizeOf(u.shape) <= 6)
    : undefined;
  if (computed !== undefined) {
    idx = call("np.clip", ref(computed), 0, n - 1);
    idxShape = ctx.types[computed].shape;
  } else {
    idxShape = ctx.chance(3) ? [1 + ctx.take(2), 1 + ctx.take(3)] : [1 + ctx.take(4)];
    const next = ctx.data();
    const data = integers(next, sizeOf(idxShape), 0, n - 1);
    const nested = idxShape.length === 1
      ? data
      : Array.from({ length: idxShape[0] }, (_, i) =>
        data.slice(i * idxShape[1], (i + 1) * idxShape[1]));
    idx = call("np.array", nested, "int32");
  }
  const shape = axis === undefined
    ? idxShape
    : [...t.shape.slice(0, axis), ...idxShape, ...t.shape.slice(axis + 1)];
  const args: (Expr | number)[] = [ref(x), idx];
  if (axis !== undefined) args.push(ctx.chance(2) ? axis - rank : axis);
  return node(ctx, call("np.take", ...args), { ...t, shape });
}

function split(ctx: Ctx): Built | null {
  const x = ctx.pick(ctx.choice.a, (t) => t.shape.some((d) => d > 1));
  if (x === undefined) return null;
  const t = ctx.types[x];
  const axes = t.shape.flatMap((d, i) => (d > 1 ? [i] : []));
  const axis = ctx.oneOf(axes);
  const n = t.shape[axis];
  const sections = [2, 3].filter((s) => n % s === 0);
  const shape = [...t.shape];
  if (sections.length && ctx.chance(2)) {
    const s = ctx.oneOf(sections);
    const i = ctx.take(s);
    shape[axis] = n / s;
    return node(ctx, item(call("np.split", ref(x), s, axis), i), { ...t, shape });
  }
  const cut = 1 + ctx.take(n - 1);
  const i = ctx.take(2);
  shape[axis] = i === 0 ? cut : n - cut;
  return node(ctx, item(call("np.split", ref(x), [cut], axis), i), { ...t, shape });
}

/** `lax.sort` of one array, or of a second array by the first as keys. */
function sort(ctx: Ctx): Built | null {
  const x = ctx.pick(ctx.choice.a, (t) => ranked(t) && numeric(t) && exact(t));
  if (x === undefined) return null;
  const t = ctx.types[x];
  const rank = t.shape.length;
  const dim = ctx.take(rank) - (ctx.chance(2) ? rank : 0);
  if (ctx.chance(2)) {
    const v = ctx.pick(ctx.choice.b, (u) => u.shape.join() === t.shape.join() && numeric(u));
    if (v !== undefined) {
      return node(ctx, item(call("lax.sort", list(ref(x), ref(v)), dim, 1), 1), ctx.types[v]);
    }
  }
  return node(ctx, call("lax.sort", ref(x), dim), t);
}

// ---------------------------------------------------------------- contractions

function matmul(ctx: Ctx): Built | null {
  const x = ctx.pick(ctx.choice.a, (t) => ranked(t) && numeric(t));
  if (x === undefined) return null;
  const tx = ctx.types[x];
  const k = tx.shape[tx.shape.length - 1];
  const batchX = tx.shape.slice(0, -2);
  const fits = (u: VType) => {
    if (!ranked(u) || !numeric(u)) return false;
    if (u.shape.length === 1) return u.shape[0] === k;
    return u.shape[u.shape.length - 2] === k && broadcast(batchX, u.shape.slice(0, -2)) !== null;
  };
  const y = ctx.pick(ctx.choice.b, fits);
  let other: Expr, ty: VType;
  if (y !== undefined) [other, ty] = [ref(y), ctx.types[y]];
  else if (tx.shape.length >= 2) {
    other = call("np.moveaxis", ref(x), -1, -2);
    const s = [...tx.shape];
    [s[s.length - 1], s[s.length - 2]] = [s[s.length - 2], s[s.length - 1]];
    ty = { ...tx, shape: s };
  } else [other, ty] = [ref(x), tx];
  const vecA = tx.shape.length === 1, vecB = ty.shape.length === 1;
  const batch = broadcast(batchX, ty.shape.slice(0, -2))!;
  const shape = [...batch];
  if (!vecA) shape.push(tx.shape[tx.shape.length - 2]);
  if (!vecB) shape.push(ty.shape[ty.shape.length - 1]);
  const dtype = promoteTypes(tx.dtype, ty.dtype);
  const e = exactSum(exactMul(tx.exact, ty.exact), k);
  const fn = ctx.chance(4) && !vecA && !vecB && batch.length === 0 ? "np.dot" : "np.matmul";
  return node(ctx, call(fn, ref(x), other), vtype(shape, dtype, tx.bound * ty.bound * k, e));
}

/** `np.einsum` of one or two operands with random shared, contracted and kept letters. */
function einsum(ctx: Ctx): Built | null {
  const x = ctx.pick(ctx.choice.a, (t) => numeric(t) && t.shape.length <= 3);
  if (x === undefined) return null;
  const tx = ctx.types[x];
  const letters = "abcdefgh";
  const lx = tx.shape.map((_, i) => letters[i]);
  const size = new Map(lx.map((c, i) => [c, tx.shape[i]]));
  const two = ctx.chance(3) === false;
  const y = two ? ctx.pick(ctx.choice.b, (u) => numeric(u) && u.shape.length <= 3) : undefined;
  const ly: string[] = [];
  if (y !== undefined) {
    let fresh = lx.length;
    for (const d of ctx.types[y].shape) {
      const shared = lx.filter((c) => size.get(c) === d && !ly.includes(c));
      if (shared.length && !ctx.chance(3)) ly.push(ctx.oneOf(shared));
      else {
        const c = letters[fresh++];
        size.set(c, d);
        ly.push(c);
      }
    }
  }
  const all = [...new Set([...lx, ...ly])];
  const out = all.filter(() => ctx.chance(3) === false);
  for (let i = out.length - 1; i > 0; i--) {
    const j = ctx.take(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  const spec = y === undefined
    ? `${lx.join("")}->${out.join("")}`
    : `${lx.join("")},${ly.join("")}->${out.join("")}`;
  const shape = out.map((c) => size.get(c)!);
  const summed = all.filter((c) => !out.includes(c)).reduce((n, c) => n * size.get(c)!, 1);
  const ty = y === undefined ? null : ctx.types[y];
  const dtype = ty ? promoteTypes(tx.dtype, ty.dtype) : tx.dtype;
  const e = exactSum(ty ? exactMul(tx.exact, ty.exact) : tx.exact, summed);
  const bound = tx.bound * (ty ? ty.bound : 1) * summed;
  const args = y === undefined ? [ref(x)] : [ref(x), ref(y)];
  return node(ctx, call("np.einsum", spec, ...args), vtype(shape, dtype, bound, e));
}

/** `lax.conv` in NC(spatial) layout with a kernel gathered from another value. */
function conv(ctx: Ctx): Built | null {
  const x = ctx.pick(ctx.choice.a, isFloat);
  if (x === undefined) return null;
  const tx = ctx.types[x];
  let lhs: Expr = ref(x), ls = tx.shape;
  if (ls.length === 2) [lhs, ls] = [call("np.expandDims", ref(x), 0), [1, ...ls]];
  else if (ls.length < 2 || ls.length > 4) {
    [lhs, ls] = [call("np.reshape", ref(x), [1, 1, sizeOf(ls)]), [1, 1, sizeOf(ls)]];
  }
  const [n, c] = ls;
  const spatial = ls.slice(2);
  const groups = c > 1 && ctx.chance(3) ? c : 1;
  const o = groups * (1 + ctx.take(2));
  const lhsDil = spatial.map(() => (ctx.chance(6) ? 2 : 1));
  const dilated = spatial.map((d, i) => (d - 1) * lhsDil[i] + 1);
  const rhsDil = spatial.map(() => (ctx.chance(5) ? 2 : 1));
  const strides = spatial.map(() => 1 + ctx.take(2));
  const kernel = dilated.map((d, i) =>
    1 + ctx.take(Math.min(3, Math.floor((d - 1) / rhsDil[i]) + 1))
  );
  const mode = ctx.take(3);
  const pads: [number, number][] = dilated.map((d, i) => {
    if (mode === 0) return [0, 0];
    if (mode === 1) return [ctx.take(2), ctx.take(2)];
    const out = Math.ceil(d / strides[i]);
    const span = (kernel[i] - 1) * rhsDil[i] + 1;
    const total = Math.max((out - 1) * strides[i] + span - d, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  });
  const outSpatial = dilated.map((d, i) =>
    Math.floor((d + pads[i][0] + pads[i][1] - ((kernel[i] - 1) * rhsDil[i] + 1)) / strides[i]) + 1
  );
  if (outSpatial.some((d) => d < 1)) return null;
  // The kernel: elements of another float value of the same dtype, gathered and reshaped.
  const w = ctx.pick(ctx.choice.b, (u) => u.dtype === tx.dtype) ?? x;
  const tw = ctx.types[w];
  const wShape = [o, c / groups, ...kernel];
  const count = sizeOf(wShape), from = sizeOf(tw.shape);
  const offset = ctx.take(from);
  const idx = Array.from({ length: count }, (_, i) => (offset + i) % from);
  const rhs = call("np.reshape", call("np.take", ref(w), call("np.array", idx, "int32")), wShape);
  const options: Record<string, number[] | string | [number, number][] | number> = {};
  if (strides.some((s) => s > 1)) options.strides = strides;
  if (mode === 1) options.padding = pads;
  if (mode === 2) options.padding = "SAME";
  if (lhsDil.some((d) => d > 1)) options.lhsDilation = lhsDil;
  if (rhsDil.some((d) => d > 1)) options.rhsDilation = rhsDil;
  if (groups > 1) options.featureGroupCount = groups;
  const args: (Expr | typeof options)[] = [lhs, rhs];
  if (Object.keys(options).length) args.push(options);
  const terms = (c / groups) * sizeOf(kernel);
  return node(
    ctx,
    call("lax.conv", ...args),
    vtype(
      [n, o, ...outSpatial],
      tx.dtype,
      tx.bound * tw.bound * terms,
      exactSum(exactMul(tx.exact, tw.exact), terms),
    ),
  );
}

/** `lax.reduceWindow`: max, min, sum or average over sliding windows. */
function reduceWindow(ctx: Ctx): Built | null {
  const x = ctx.pick(ctx.choice.a, (t) => ranked(t) && numeric(t));
  if (x === undefined) return null;
  const t = ctx.types[x];
  const op = ctx.oneOf(isFloat(t) ? ["max", "sum", "avg", "min"] : ["max", "sum", "min"]);
  const window = t.shape.map((d) => 1 + ctx.take(Math.min(d, 3)));
  const tiles = ctx.chance(2);
  const strides = tiles ? window : t.shape.map(() => 1 + ctx.take(2));
  const same = !tiles && ctx.chance(2);
  const shape = t.shape.map((d, i) =>
    same ? Math.ceil(d / strides[i]) : Math.floor((d - window[i]) / strides[i]) + 1
  );
  const count = sizeOf(window);
  const args: (Expr | string | number[])[] = [ref(x), op, window];
  if (!tiles || same) args.push(strides);
  if (same) args.push("SAME");
  let e: Exact | null = t.exact, bound = t.bound;
  if (op === "sum") [e, bound] = [exactSum(t.exact, count), t.bound * count];
  if (op === "avg") {
    const k = Math.log2(count);
    e = Number.isInteger(k) && t.exact ? { g: t.exact.g + k, m: t.exact.m } : null;
  }
  return node(ctx, call("lax.reduceWindow", ...args), vtype(shape, t.dtype, bound, e));
}

// ---------------------------------------------------------------- sources

/** A shape that broadcasts against an existing value (some axes 1, some leading ones dropped). */
function shapeLike(ctx: Ctx): number[] {
  const v = ctx.pick(ctx.take(64));
  const base = v === undefined ? [3] : ctx.types[v].shape;
  return base.slice(ctx.take(base.length + 1)).map((d) => (ctx.chance(3) ? 1 : d));
}

/** Literal arrays, ranges, identities, and random draws from fixed keys. */
function source(ctx: Ctx): Built | null {
  const shape = shapeLike(ctx);
  const n = sizeOf(shape);
  switch (ctx.take(5)) {
    case 0: {
      if (n > 24) return null; // printed in full in a snippet
      const dtype = ctx.oneOf<DType>([ctx.float, "int32", "bool"]);
      const next = ctx.data();
      const nums = dtype === "bool"
        ? integers(next, n, 0, 1)
        : dtype === "int32"
        ? integers(next, n, -4, 4)
        : quarters(next, n);
      const flat: Literal[] = dtype === "bool" ? nums.map((v) => v === 1) : nums;
      return node(
        ctx,
        call("np.array", nest(flat, shape) as Literal, dtype),
        vtype(shape, dtype, Math.max(1, ...nums.map(Math.abs)), exactOfData(nums, dtype)),
      );
    }
    case 1: {
      const len = 1 + ctx.take(6);
      return node(ctx, call("np.arange", len), vtype([len], "int32", len, { g: 0, m: 3 }));
    }
    case 2: {
      const r = 1 + ctx.take(4), c = 1 + ctx.take(4), k = ctx.take(3) - 1;
      return node(
        ctx,
        call("np.eye", r, c, k, ctx.float),
        vtype([r, c], ctx.float, 1, { g: 0, m: 1 }),
      );
    }
    case 3: {
      const key = call("random.key", ctx.take(1000));
      const options = ctx.float === "float64" ? [{ dtype: "float64" }] : [];
      if (ctx.chance(2)) {
        return node(
          ctx,
          call("random.normal", key, shape, ...options),
          vtype(shape, ctx.float, 7, null),
        );
      }
      const bits = ctx.float === "float64" ? 52 : 23;
      return node(
        ctx,
        call("random.uniform", key, shape, ...options),
        vtype(shape, ctx.float, 1, { g: bits, m: bits }),
      );
    }
    default:
      return node(
        ctx,
        call("random.bits", call("random.key", ctx.take(1000)), shape),
        vtype(shape, "int32", 2 ** 31, { g: 0, m: 31 }),
      );
  }
}

/** Flat data as nested lists of `shape`. */
export function nest<T>(flat: readonly T[], shape: readonly number[]): T | unknown[] {
  if (shape.length === 0) return flat[0];
  const inner = sizeOf(shape.slice(1));
  return Array.from(
    { length: shape[0] },
    (_, i) => nest(flat.slice(i * inner, (i + 1) * inner), shape.slice(1)),
  );
}

/**
 * Every rule, with its weight. The first is the simplest, since shrinking a node's rule
 * choice moves toward it.
 */
export const RULES: Record<string, Rule> = {
  plainUnary: { weight: 6, build: plainUnary },
  smooth: { weight: 16, build: smooth },
  arithmetic: { weight: 18, build: arithmetic },
  kinked: { weight: 6, build: kinked },
  divideByLiteral: { weight: 2, build: divideByLiteral },
  power: { weight: 3, build: power },
  rounding: { weight: 2, build: rounding },
  comparison: { weight: 5, build: comparison },
  logical: { weight: 1, build: logical },
  where: { weight: 6, build: where },
  convert: { weight: 3, build: convert },
  bitwise: { weight: 2, build: bitwise },
  integerDivide: { weight: 1, build: integerDivide },
  reduction: { weight: 14, build: reduction },
  argReduction: { weight: 2, build: argReduction },
  boolReduction: { weight: 1, build: boolReduction },
  softmax: { weight: 3, build: softmax },
  reshape: { weight: 4, build: reshape },
  transpose: { weight: 4, build: transpose },
  broadcastTo: { weight: 4, build: broadcastTo },
  expandOrSqueeze: { weight: 3, build: expandOrSqueeze },
  flip: { weight: 3, build: flip },
  concatenate: { weight: 3, build: concatenate },
  pad: { weight: 2, build: pad },
  index: { weight: 4, build: index },
  take: { weight: 3, build: take },
  split: { weight: 1, build: split },
  sort: { weight: 1, build: sort },
  matmul: { weight: 5, build: matmul },
  einsum: { weight: 4, build: einsum },
  conv: { weight: 2, build: conv },
  reduceWindow: { weight: 2, build: reduceWindow },
  source: { weight: 2, build: source },
};
