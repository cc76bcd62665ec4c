/**
 * Random loop bodies and branches for the control-flow property tests: a DAG the fuzzer's rules
 * (ops.ts) build over given inputs (carries, slices of xs, closed-over arrays, a loop index),
 * whose first outputs are fitted to given shapes (a scan's or loop's carry, a branch's common
 * output type) and whose other outputs are its float sinks (a scan's ys).
 *
 * Bodies are meant to be differentiated and compared with central differences, so values that
 * depend on a differentiable input must keep the body's float dtype (no round trip through
 * float32 in a float64 body). Differentiable inputs are declared inexact, so the rules never
 * compare, round, sort or convert to int what depends on them; only constants (literal arrays,
 * ranges, random draws) and the loop index are exact. A fitted carry is bounded by `limit`
 * (scaled by a power of two or squashed by tanh), so iterating the body cannot overflow.
 * @module
 */
import fc from "fast-check";
import type { Array } from "../../mod.ts";
import { call, evaluate, type Expr, print, reads, ref } from "./expr.ts";
import { growNode, type Node, rawNode } from "./programs.ts";
import type { Built } from "./ops.ts";
import { broadcastsTo } from "./shapes.ts";
import { sizeOf, type VType, vtype } from "./types.ts";

/** An input of a body: its type, and whether derivatives are taken with respect to it. */
export interface BodyInput {
  type: VType;
  differentiable: boolean;
}

/** A random body: `outputs` are value ids, the fitted ones first. */
export interface Body {
  float: "float32" | "float64";
  inputs: BodyInput[];
  nodes: Node[];
  outputs: number[];
  /** Whether a `stopGradient` reads a value that depends on a differentiable input. */
  stopsGradient: boolean;
}

/** What the generator needs besides the inputs: which shapes the first outputs must have. */
export interface BodyShape {
  inputs: BodyInput[];
  /** Shapes of the fitted outputs (each of the body's float dtype). */
  fitted: number[][];
  /** The largest magnitude a fitted output may have. */
  limit: number;
  /** Whether the body's float sinks follow the fitted outputs (at most three). */
  sinks: boolean;
  /**
   * For each fitted output, the input it is the next value of (a carry, of the same shape and
   * bound `limit`), if any: an output that does not depend on it then mixes it in, so that the
   * loop is a recurrence.
   */
  feedback?: number[];
  /** Which nodes the body may have besides those its dtypes allow (default: any). */
  accept?: (b: Built) => boolean;
}

const nat = fc.noBias(fc.nat());

/** Raw choices of a body: its nodes, and how each fitted output is chosen and bounded. */
export const rawBody = fc.record({
  nodes: fc.array(rawNode, { minLength: 1, maxLength: 8 }),
  fit: fc.array(nat, { minLength: 6, maxLength: 6 }),
});

/** The raw choices `rawBody` generates. */
export type RawBody = typeof rawBody extends fc.Arbitrary<infer T> ? T : never;

/** Most elements of a value of a body. */
const MAX_VALUE = 48;

/** `e` (of type `t`) with a magnitude of at most `limit`: scaled by a power of two, or tanh. */
function bounded(e: Expr, t: VType, limit: number, squash: number): [Expr, number] {
  if (t.bound <= limit) return [e, t.bound];
  if (squash % 2 === 0 || limit < 1) {
    const k = Math.ceil(Math.log2(t.bound / limit));
    return [call("np.multiply", e, 2 ** -k), t.bound * 2 ** -k];
  }
  const k = t.bound > 3 ? Math.ceil(Math.log2(t.bound / 3)) : 0;
  return [call("np.tanh", k ? call("np.multiply", e, 2 ** -k) : e), 1];
}

/**
 * Value `id` as an output of `shape`: itself, broadcast, or its mean broadcast; bounded by
 * `limit`; with `carry` (an input of that shape and bound), `carry / 2` plus it bounded by half.
 */
function fit(
  id: number,
  t: VType,
  shape: number[],
  limit: number,
  squash: number,
  carry?: number,
): Node {
  const same = t.shape.join() === shape.join();
  const e = same
    ? ref(id)
    : broadcastsTo(t.shape, shape)
    ? call("np.broadcastTo", ref(id), shape)
    : call("np.broadcastTo", call("np.mean", ref(id)), shape);
  if (carry === undefined) {
    const [expr, bound] = bounded(e, t, limit, squash);
    return { rule: "fit", expr, type: vtype(shape, t.dtype, bound, null) };
  }
  const [half, bound] = bounded(e, t, limit / 2, squash);
  const expr = call("np.add", call("np.multiply", ref(carry), 0.5), half);
  return { rule: "fit", expr, type: vtype(shape, t.dtype, limit / 2 + bound, null) };
}

/** The body `raw` builds for `shape` in `float`. */
export function buildBody(raw: RawBody, shape: BodyShape, float: "float32" | "float64"): Body {
  const types = shape.inputs.map((x) => x.type);
  const dependent = shape.inputs.map((x) => x.differentiable);
  // Bit i: the value depends on input i.
  const inputsOf = shape.inputs.map((_, i) => 2 ** i);
  const read = new Set<number>();
  const nodes: Node[] = [];
  let stopsGradient = false;
  const dependsOn = (e: Expr) => reads(e).some((id) => dependent[id]);
  for (const choice of raw.nodes) {
    // What depends on a differentiable input stays in the body's float dtype.
    const n = growNode(
      types,
      choice,
      float,
      read,
      MAX_VALUE,
      (b) => (b.type.dtype === float || !dependsOn(b.expr)) && (shape.accept?.(b) ?? true),
    );
    if (!n) continue;
    const d = dependsOn(n.expr);
    if (d && n.expr.kind === "call" && n.expr.fn === "np.stopGradient") stopsGradient = true;
    nodes.push(n);
    types.push(n.type);
    dependent.push(d);
    inputsOf.push(reads(n.expr).reduce((m, id) => m | inputsOf[id], 0));
    for (const id of reads(n.expr)) read.add(id);
  }
  const floats = types.flatMap((t, id) => (t.dtype === float ? [id] : [])).reverse();
  const first = shape.inputs.length;
  const sinks = floats.filter((id) => id >= first && !read.has(id)).slice(0, 3);
  const outputs: number[] = [];
  shape.fitted.forEach((s, k) => {
    const r = raw.fit[k % raw.fit.length];
    // Half the time the latest value nothing reads, else any float value.
    const unread = floats.find((id) => !read.has(id) && !outputs.includes(id));
    const id = r % 2 === 0 && unread !== undefined ? unread : floats[(r >> 1) % floats.length];
    const carry = shape.feedback?.[k];
    const fed = carry === undefined || (inputsOf[id] & 2 ** carry) !== 0;
    const n = fit(id, types[id], s, shape.limit, r >> 3, fed ? undefined : carry);
    nodes.push(n);
    types.push(n.type);
    outputs.push(types.length - 1);
  });
  if (shape.sinks) outputs.push(...(sinks.length ? sinks : [floats[0]]));
  return { float, inputs: shape.inputs, nodes, outputs, stopsGradient };
}

/** The body as a function of its inputs, returning its outputs. */
export function bodyFunction(b: Body): (...xs: Array[]) => Array[] {
  return (...xs) => {
    const values: unknown[] = [...xs];
    for (const n of b.nodes) values.push(evaluate(n.expr, values));
    return b.outputs.map((id) => values[id] as Array);
  };
}

/** The body as TypeScript text: `const name = (x0: Array, ...) => { ...; return [...]; };`. */
export function bodyText(b: Body, name: string): string {
  const label = (id: number) => (id < b.inputs.length ? `x${id}` : `v${id}`);
  const params = b.inputs.map((x, i) => `x${i}: np.Array /* ${x.type.dtype}[${x.type.shape}] */`);
  const lines = [`const ${name} = (${params.join(", ")}): np.Array[] => {`];
  b.nodes.forEach((n, i) => {
    lines.push(`  const ${label(b.inputs.length + i)} = ${print(n.expr, label)};`);
  });
  lines.push(`  return [${b.outputs.map(label).join(", ")}];`, "};");
  return lines.join("\n");
}

/** A differentiable input of `shape`: inexact, values in [-1, 1]. */
export function floatInput(shape: number[], float: "float32" | "float64"): BodyInput {
  return { type: vtype(shape, float, 1, null), differentiable: true };
}

/** A loop index: an exact int32 scalar in `[0, bound]`, not differentiable. */
export function indexInput(bound: number): BodyInput {
  const m = Math.max(1, Math.ceil(Math.log2(bound + 1)));
  return { type: vtype([], "int32", bound, { g: 0, m }), differentiable: false };
}

/** Axis sizes of the shapes a property draws (size-1 axes are common). */
const DIMS = [1, 2, 3, 1, 4];

/**
 * `n` shapes that broadcast together, of at most 12 elements: a full shape of rank 0 to 2, each
 * with some leading axes dropped and some sizes 1.
 */
export function shapeSet(n: number): fc.Arbitrary<number[][]> {
  return fc.record({
    full: fc.array(fc.nat(DIMS.length - 1), { maxLength: 2 }),
    each: fc.array(fc.tuple(fc.nat(2), fc.nat(3)), { minLength: n, maxLength: n }),
  }).map(({ full, each }) => {
    const dims = full.map((d) => DIMS[d]);
    while (sizeOf(dims) > 12) dims[dims.indexOf(Math.max(...dims))]--;
    return each.map(([drop, ones]) =>
      dims.slice(drop % (dims.length + 1)).map((d, i) => ((ones >> i) & 1 ? 1 : d))
    );
  });
}
