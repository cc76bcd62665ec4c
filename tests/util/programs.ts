/**
 * Random composite programs for property tests: small expression trees over a few `[n, n]`
 * inputs, built from smooth unary functions, binary arithmetic, reductions broadcast back over
 * the reduced axis, data movement (transpose, flips, rolls, gathers) and matrix products. Every
 * node maps `[n, n]` arrays to an `[n, n]` array, so any tree is well typed, and every function
 * is smooth everywhere, so finite differences are a valid oracle at any point.
 * @module
 */
import fc from "fast-check";
import { type Array, numpy as np } from "../../mod.ts";

/** One entry per node kind: the function and its name in `show`. */
const UNARY = {
  sin: np.sin,
  cos: np.cos,
  tanh: np.tanh,
  sigmoid: np.sigmoid,
  erf: np.erf,
  swish: (x: Array) => np.multiply(x, np.sigmoid(x)),
  log1pSquare: (x: Array) => np.log1p(np.square(x)),
  hypot1: (x: Array) => np.sqrt(np.add(np.square(x), 1)),
  expm1Tanh: (x: Array) => np.expm1(np.tanh(x)),
};

const BINARY = {
  add: np.add,
  sub: np.subtract,
  mul: np.multiply,
  /** `x / (1 + y^2)`: a division whose denominator never vanishes. */
  divSafe: (x: Array, y: Array) => np.divide(x, np.add(np.square(y), 1)),
  /** `x @ y`. */
  matmul: np.matmul,
  /** `x @ y^T` through einsum. */
  matmulT: (x: Array, y: Array) => np.einsum("ij,kj->ik", x, y),
};

/** Reductions along one axis, broadcast back against the input (keepdims). */
const REDUCE = {
  center: (x: Array, axis: number) => np.subtract(x, np.mean(x, axis, true)),
  scaleBySum: (x: Array, axis: number) => np.multiply(x, np.sum(x, axis, true)),
  logSoftmax: (x: Array, axis: number) => np.subtract(x, np.logsumexp(x, axis, true)),
  scaleByProd: (x: Array, axis: number) => np.multiply(x, np.tanh(np.prod(x, axis, true))),
};

/** Data movement that keeps the shape `[n, n]`. */
const MOVE = {
  transpose: (x: Array) => np.transpose(x),
  flipFlat: (x: Array) => np.reshape(np.flip(np.reshape(x, [-1])), x.shape),
  rollRows: (x: Array) => np.concatenate([np.index(x, np.s(1)), np.index(x, np.s(0, 1))], 0),
  reverseColumns: (x: Array) => np.index(x, "...", np.s(undefined, undefined, -1)),
  gatherRows: (x: Array) => np.take(x, np.arange(x.shape[0] - 1, -1, -1), 0),
  padCrop: (x: Array) => np.index(np.pad(x, [[1, 0], [0, 2]], 0.5), np.s(0, -1), np.s(1, -1)),
};

/** Names of unary functions. */
export type UnaryName = keyof typeof UNARY;
/** Names of binary functions. */
export type BinaryName = keyof typeof BINARY;
/** Names of reductions. */
export type ReduceName = keyof typeof REDUCE;
/** Names of data movements. */
export type MoveName = keyof typeof MOVE;

/** An expression tree over inputs `x0, x1, ...`. */
export type Program =
  | { op: "input"; index: number }
  | { op: "unary"; fn: UnaryName; arg: Program }
  | { op: "binary"; fn: BinaryName; lhs: Program; rhs: Program }
  | { op: "reduce"; fn: ReduceName; axis: number; arg: Program }
  | { op: "move"; fn: MoveName; arg: Program };

/** Evaluates `p` on inputs of shape `[n, n]`. */
export function evaluate(p: Program, inputs: Array[]): Array {
  switch (p.op) {
    case "input":
      return inputs[p.index];
    case "unary":
      return UNARY[p.fn](evaluate(p.arg, inputs));
    case "binary":
      return BINARY[p.fn](evaluate(p.lhs, inputs), evaluate(p.rhs, inputs));
    case "reduce":
      return REDUCE[p.fn](evaluate(p.arg, inputs), p.axis);
    case "move":
      return MOVE[p.fn](evaluate(p.arg, inputs));
  }
}

/** `sin(matmul(x0, x1))`-style text of a program. */
export function show(p: Program): string {
  switch (p.op) {
    case "input":
      return `x${p.index}`;
    case "unary":
    case "move":
      return `${p.fn}(${show(p.arg)})`;
    case "binary":
      return `${p.fn}(${show(p.lhs)}, ${show(p.rhs)})`;
    case "reduce":
      return `${p.fn}[axis=${p.axis}](${show(p.arg)})`;
  }
}

function names<T extends object>(table: T): (keyof T)[] {
  return Object.keys(table) as (keyof T)[];
}

/** Programs over `numInputs` inputs, at most `maxDepth` nodes deep. */
export function programs(numInputs: number, maxDepth = 4): fc.Arbitrary<Program> {
  const { node } = fc.letrec<{ node: Program }>((tie) => ({
    node: fc.oneof(
      { maxDepth, depthIdentifier: "program" },
      fc.integer({ min: 0, max: numInputs - 1 }).map((index): Program => ({ op: "input", index })),
      fc.record({
        op: fc.constant("unary" as const),
        fn: fc.constantFrom(...names(UNARY)),
        arg: tie("node"),
      }),
      fc.record({
        op: fc.constant("binary" as const),
        fn: fc.constantFrom(...names(BINARY)),
        lhs: tie("node"),
        rhs: tie("node"),
      }),
      fc.record({
        op: fc.constant("reduce" as const),
        fn: fc.constantFrom(...names(REDUCE)),
        axis: fc.integer({ min: 0, max: 1 }),
        arg: tie("node"),
      }),
      fc.record({
        op: fc.constant("move" as const),
        fn: fc.constantFrom(...names(MOVE)),
        arg: tie("node"),
      }),
    ),
  }));
  return node.map((p) => Object.assign(p, { [fc.toStringMethod]: () => show(p) }));
}
