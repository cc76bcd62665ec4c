/**
 * The kernel IR: a loop kernel is a nest of loops over an iteration space whose body loads
 * elements of typed input buffers through strided views (broadcasts as stride 0), evaluates
 * scalar expressions on them and stores (or accumulates) results into output buffers. Every
 * elementwise primitive lowers to these expressions once (lower_elementwise.ts), fused kernels
 * lower to loop kernels once (lower_kernel.ts), and each backend's renderer turns a loop kernel
 * into its language; ref stays hand-written, so a lowering or renderer bug shows as a
 * disagreement with it.
 *
 * Semantics of the scalar operations, on every renderer (as the ref backend):
 * - floats are IEEE in their dtype; `max`/`min` propagate NaN; `round` is half to even; `rem` is
 *   C's fmod; every math function (`MathFn`: `exp` ... `atan2`), float32 and float64, is
 *   written once as IR expressions (math_definitions.ts, math_definitions_f64.ts), so the IR
 *   has no math nodes and every renderer runs the same math;
 * - int32 wraps; `div` truncates, gives 0 for a zero divisor and wraps `MIN / -1`; `rem` has the
 *   dividend's sign and gives the dividend for a zero divisor; `not` and `xor` are bitwise; the
 *   binary `shl`, `shr`, `shru` shift `a` by `b` bits (left, right copying the sign bit in,
 *   right shifting zeros in), and as XLA an amount outside [0, 31] shifts every bit out (0, or
 *   the sign bit's copies for `shr`);
 * - bool is 0 or 1: `not`, `and`, `or` are logical; comparisons give bool; a `max` reduction
 *   of bools is their `or`, a `min` reduction their `and`;
 * - `convert` truncates floats toward zero into int32, saturating at its range (NaN gives 0),
 *   and maps nonzero to true into bool;
 * - `fma` is `a * b + c`, rounded once where the target fuses it (wasm's `relaxed_madd` on FMA
 *   hardware, as x86-64 since Haswell and Zen; WGSL's `fma` on most GPUs) and twice where it
 *   does not (lavapipe's `fma`); the math definitions (math_definitions.ts) write every product
 *   that feeds a sum as one, so a renderer's own contraction of `a * b + c` changes nothing;
 * - `bitcast` reinterprets the 32 bits of a float32 as an int32 or back;
 * - `shift` moves an int32's bits left (`shl`, zeros in) or right (`shr`, copies of the sign
 *   bit in; `shru`, zeros in) by a constant count in [0, 31];
 * - `highWord` is the high 32 bits (sign, exponent, top of the mantissa) of a float64 as an
 *   int32, and `withHighWord` a float64 with its high 32 bits replaced by an int32's: with
 *   them the float64 math definitions (math_definitions_f64.ts) scale by powers of two and
 *   take exponents apart, on wasm only (WGSL has no float64);
 * - `param` is run-time scalar parameter `param` of the kernel (`LoopKernel.params`: a fill's
 *   value), the same at every point: the rendered function takes it as an argument of its dtype
 *   after the sizes and strides (AssemblyScript; in WGSL the name `p<param>` its shader declares);
 * - `index` is the point's coordinate along an axis of the space, as an int32 (where an argmax
 *   finds its extreme: one_op_arg_reduce.ts, the eager argmax and argmin of wasm and WebGPU).
 *
 * Semantics of indexed views (`IndexedAxis`: a gather's load, a scatter's store):
 * - along its indexed axis a view moves not with the point's index but with the position that
 *   the kernel's int32 index load reads at the point, times the view's stride along that axis
 *   (`x[o, idx[j], k]` is a load over `[o, j, k]` whose axis 1 is indexed by a load of `idx` at
 *   strides `[0, 1, 0]`);
 * - a position outside `[0, size)` is out of range: a kernel with indexed views first checks
 *   every position its index loads will read, and where one is out of range it sets its
 *   `outOfRange` flag (an int32 output of one element, set to 1, else left as it is) and stops,
 *   its other outputs then meaningless (its caller raises); so no view reads or writes outside
 *   its buffer;
 * - a scattered store accumulates (`reduce`), in the order of the points (the last axis
 *   fastest), so repeated positions combine as a loop over the index buffer would; no vector
 *   step runs along an axis its index load moves along, and no thread split divides one.
 * @module
 */
import type { DType } from "../../core/dtype.ts";
import { type MonoidReduction, reductionIdentity } from "../../core/reduction_identity.ts";

/** Unary operations renderers implement directly. */
export type UnaryOp = "neg" | "abs" | "sqrt" | "floor" | "ceil" | "round" | "not";
/** Binary arithmetic and logic, operands and result of one dtype. */
export type BinaryOp =
  | "add"
  | "sub"
  | "mul"
  | "div"
  | "rem"
  | "max"
  | "min"
  | "and"
  | "or"
  | "xor"
  | ShiftOp;
/** Comparisons: operands of one dtype, a bool result. */
export type CompareOp = "eq" | "ne" | "lt" | "le" | "gt" | "ge";
/**
 * Float math functions: each written once as IR expressions, in float32 (math_definitions.ts)
 * and float64 (math_definitions_f64.ts), so the IR has no math nodes.
 */
export type MathFn =
  | "exp"
  | "expm1"
  | "log"
  | "log1p"
  | "tanh"
  | "logistic"
  | "erf"
  | "erf_inv"
  | "sin"
  | "cos"
  | "pow"
  | "atan2";
/**
 * Shifts of int32 bits: `shl` left, `shr` right keeping the sign, `shru` right shifting zeros in;
 * by a constant count (a `shift` node) or by an int32 operand (a binary node).
 */
export type ShiftOp = "shl" | "shr" | "shru";

/** How a reduction store combines a value into its output. */
export type ReduceOp = "add" | "mul" | "max" | "min";

/** A scalar expression of one element; nodes are shared by reference (a DAG). */
export type Expr =
  | { readonly kind: "const"; readonly dtype: DType; readonly value: number }
  | { readonly kind: "load"; readonly dtype: DType; readonly load: number }
  | { readonly kind: "param"; readonly dtype: DType; readonly param: number }
  | { readonly kind: "index"; readonly dtype: "int32"; readonly axis: number }
  | { readonly kind: "unary"; readonly op: UnaryOp; readonly dtype: DType; readonly a: Expr }
  | {
    readonly kind: "binary";
    readonly op: BinaryOp;
    readonly dtype: DType;
    readonly a: Expr;
    readonly b: Expr;
  }
  | {
    readonly kind: "compare";
    readonly op: CompareOp;
    readonly dtype: "bool";
    readonly a: Expr;
    readonly b: Expr;
  }
  | {
    readonly kind: "select";
    readonly dtype: DType;
    readonly cond: Expr;
    readonly onTrue: Expr;
    readonly onFalse: Expr;
  }
  | { readonly kind: "convert"; readonly dtype: DType; readonly a: Expr }
  | {
    readonly kind: "fma";
    readonly dtype: DType;
    readonly a: Expr;
    readonly b: Expr;
    readonly c: Expr;
  }
  | { readonly kind: "bitcast"; readonly dtype: DType; readonly a: Expr }
  | {
    readonly kind: "shift";
    readonly op: ShiftOp;
    readonly dtype: "int32";
    readonly a: Expr;
    readonly bits: number;
  }
  | { readonly kind: "highWord"; readonly dtype: "int32"; readonly a: Expr }
  | {
    readonly kind: "withHighWord";
    readonly dtype: "float64";
    readonly a: Expr;
    readonly high: Expr;
  };

/** The kinds of expression node. */
export type ExprKind = Expr["kind"];

/**
 * A read of input buffer `input` at element `offset + sum_d i_d * strides[d]` of each point `i`
 * (a view: a broadcast, transpose, slice or reversal of the buffer, strides possibly 0 or
 * negative); with `padding`, only at the points within its bounds, the others reading its value
 * (a pad).
 */
export interface Load {
  /** Index into the kernel's inputs. */
  readonly input: number;
  /** Element stride per axis of the space (0: broadcast along it). */
  readonly strides: readonly number[];
  /** Element read at the space's first point (0 when absent; negative for a pad). */
  readonly offset?: number;
  /** Where a pad reads its input, and what it reads elsewhere. */
  readonly padding?: Padding;
  /** The axis along which the load reads the positions of an index buffer (a gather). */
  readonly gather?: IndexedAxis;
}

/**
 * An axis along which a view (a gathered load, a scattered store) moves to the positions that an
 * index load reads (see the module doc), rather than with the point's index.
 */
export interface IndexedAxis {
  /** The axis of the space. */
  readonly axis: number;
  /** The int32 load (by index into the kernel's loads, unpadded and not itself indexed) read. */
  readonly index: number;
  /** The positions in range, `[0, size)` (at least 1): the extent of the view's buffer there. */
  readonly size: number;
}

/** The bounds of a padded load and the value it reads outside them. */
export interface Padding {
  /** Per axis of the space, the range `[from, to)` of points that read the input. */
  readonly bounds: readonly (readonly [number, number])[];
  /** The value read elsewhere, in the load's dtype. */
  readonly value: number;
}

/** The axes along which `padding` leaves out points of `space` (none for no padding). */
export function paddedAxes(space: readonly number[], padding?: Padding): number[] {
  if (!padding) return [];
  return space.flatMap((n, d) => {
    const [from, to] = padding.bounds[d];
    return from > 0 || to < n ? [d] : [];
  });
}

/**
 * A write of `value` into output buffer `output` at element `offset + sum_d i_d * strides[d]`;
 * with `reduce`, combined into the element instead (strides 0 along the reduced axes), the
 * output first filled with the operation's identity.
 */
export interface Store {
  /** Index into the kernel's outputs. */
  readonly output: number;
  /** The value stored. */
  readonly value: Expr;
  /** Element stride per axis of the space. */
  readonly strides: readonly number[];
  /** Element written at the space's first point (0 when absent). */
  readonly offset?: number;
  /** How the value accumulates into its element, for a reduction. */
  readonly reduce?: ReduceOp;
  /** The axis along which the store writes the positions of an index buffer (a scatter). */
  readonly scatter?: IndexedAxis;
  /**
   * For a reduction of a sized kernel (sized_kernel.ts: an eager one's, on wasm) keeping axis 0
   * of a space of two or more axes: the dtype it accumulates in, wider
   * than its output's (float32 sums and products in float64). The value is of this dtype; each
   * output element starts at the identity in it, accumulates there (not in the output), and
   * receives the result converted to the output's dtype once, after its last value.
   */
  readonly accumulator?: DType;
}

/** The dtype store `s` of `k` accumulates (or writes) in: its accumulator's, else its output's. */
export const storeDType = (k: LoopKernel, s: Store): DType => s.accumulator ?? k.outputs[s.output];

/** One loop kernel: loops over `space` whose body runs `stores` (see the module doc). */
export interface LoopKernel {
  /** The iteration space (empty: one point). */
  readonly space: readonly number[];
  /** Dtype of each input buffer. */
  readonly inputs: readonly DType[];
  /** Dtype of each output buffer. */
  readonly outputs: readonly DType[];
  /** The loads the expressions read, by index. */
  readonly loads: readonly Load[];
  /** Dtype of each run-time scalar parameter `param` nodes read (none when absent). */
  readonly params?: readonly DType[];
  /**
   * The stores, in order. Each output is stored by exactly one, or (a concatenate's parts) by
   * several plain stores at one set of strides whose offsets step evenly past each other's
   * elements.
   */
  readonly stores: readonly Store[];
  /**
   * The output (int32, one element) that a position out of range sets to 1; every kernel with
   * indexed views has one, which no store writes.
   */
  readonly outOfRange?: number;
}

/** The indexed axes of `k`'s loads and stores. */
export function indexedAxes(k: LoopKernel): IndexedAxis[] {
  return [...k.loads.map((l) => l.gather), ...k.stores.map((s) => s.scatter)].filter(
    (ix): ix is IndexedAxis => ix !== undefined,
  );
}

/** The reduction primitive each reduction store accumulates as. */
const REDUCTION_OF: Readonly<Record<ReduceOp, MonoidReduction>> = {
  add: "reduce_sum",
  mul: "reduce_prod",
  max: "reduce_max",
  min: "reduce_min",
};

/** Identity of each reduction in `dtype` (the first value combined gives itself). */
export function reduceIdentity(op: ReduceOp, dtype: DType): number {
  return reductionIdentity(REDUCTION_OF[op], dtype);
}

/** The nodes of the expressions `roots`, each once, operands before their users. */
export function topologicalOrder(roots: readonly Expr[]): Expr[] {
  const seen = new Set<Expr>();
  const order: Expr[] = [];
  const visit = (e: Expr): void => {
    if (seen.has(e)) return;
    seen.add(e);
    operands(e).forEach(visit);
    order.push(e);
  };
  roots.forEach(visit);
  return order;
}

/** The operands of a node, in order. */
export function operands(e: Expr): readonly Expr[] {
  switch (e.kind) {
    case "const":
    case "load":
    case "param":
    case "index":
      return [];
    case "unary":
    case "convert":
    case "bitcast":
    case "shift":
    case "highWord":
      return [e.a];
    case "withHighWord":
      return [e.a, e.high];
    case "binary":
    case "compare":
      return [e.a, e.b];
    case "select":
      return [e.cond, e.onTrue, e.onFalse];
    case "fma":
      return [e.a, e.b, e.c];
  }
}

/** A loop kernel as text, one line per node and store, for tests and debugging. */
export function loopKernelToString(k: LoopKernel): string {
  const order = topologicalOrder(k.stores.map((s) => s.value));
  const names = new Map(order.map((e, i) => [e, `t${i}`]));
  const name = (e: Expr) => names.get(e)!;
  const node = (e: Expr): string => {
    switch (e.kind) {
      case "const":
        return `${e.value}`;
      case "load": {
        const l = k.loads[e.load];
        const pad = l.padding
          ? ` in ${l.padding.bounds.map(([a, b]) => `${a}:${b}`).join(",")} else ${l.padding.value}`
          : "";
        const at = `in${l.input}[${l.strides.join(",")}]${l.offset ? `+${l.offset}` : ""}`;
        return `${at}${indexed(l.gather)}${pad}`;
      }
      case "index":
        return `index ${e.axis}`;
      case "unary":
      case "binary":
      case "compare":
        return `${e.op} ${operands(e).map(name).join(" ")}`;
      case "select":
        return `select ${name(e.cond)} ${name(e.onTrue)} ${name(e.onFalse)}`;
      case "convert":
      case "bitcast":
      case "fma":
      case "highWord":
      case "withHighWord":
        return `${e.kind} ${operands(e).map(name).join(" ")}`;
      case "shift":
        return `${e.op} ${name(e.a)} ${e.bits}`;
      case "param":
        return `param ${e.param}`;
    }
  };
  return [
    `loop [${k.space.join(",")}] in (${k.inputs.join(", ")}) out (${k.outputs.join(", ")})${
      k.params?.length ? ` params (${k.params.join(", ")})` : ""
    }`,
    ...order.map((e) => `  ${name(e)}: ${e.dtype} = ${node(e)}`),
    ...k.stores.map((s) =>
      `  out${s.output}[${s.strides.join(",")}]${s.offset ? `+${s.offset}` : ""}${
        indexed(s.scatter)
      } ${s.reduce ? `${s.reduce}=` : "="} ${name(s.value)}`
    ),
    ...(k.outOfRange === undefined ? [] : [`  out${k.outOfRange} = out of range`]),
  ].join("\n");
}

/** An indexed axis as text: ` at axis 1 by load 1 in 0:256`. */
const indexed = (ix?: IndexedAxis): string =>
  ix ? ` at axis ${ix.axis} by load ${ix.index} in 0:${ix.size}` : "";
