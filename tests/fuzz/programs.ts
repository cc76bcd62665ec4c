/**
 * Random programs for the differential fuzzer: a fast-check arbitrary of raw choices,
 * interpreted into a typed DAG. Inputs share a broadcastable shape (size-1 axes, dropped leading
 * axes) and any dtype; each node applies a rule of ops.ts to earlier values, so values fan out
 * to several readers, siblings read the same value, and every value no node reads is an output
 * (as are some that are read). Each program also carries what it is checked under: its value,
 * its gradient, its Hessian, or its vmap over a batch axis.
 * @module
 */
import fc from "fast-check";
import type { DType } from "../../mod.ts";
import { Ctx, fill, type NodeChoice } from "./choices.ts";
import { stream } from "../util/arbitraries.ts";
import { type Expr, reads } from "./expr.ts";
import { type Built, RULES } from "./ops.ts";
import { exactOfData, isFloatDType, sizeOf, type VType, vtype } from "./types.ts";

/** Array data: `fill(seed, n, dtype)` (row-major; booleans as 0 and 1). */
export interface Data {
  seed: number;
  data: number[];
}

/** A program input: its type and its data. */
export interface Input extends Data {
  type: VType;
}

/** A node: the value it defines is `v{inputs.length + index}`. */
export interface Node {
  rule: string;
  expr: Expr;
  type: VType;
}

/** What a program is checked under. */
export type Mode =
  | { kind: "value" }
  /** `valueAndGrad` of `sum_j sum(out_j * c_j)` over float outputs, by every float input. */
  | { kind: "grad"; argnums: number[]; cotangents: Cotangent[] }
  /** `hessian` of the same loss by one small float input. */
  | { kind: "hessian"; argnum: number; cotangents: Cotangent[] }
  /**
   * `vmap` over inputs batched along `inAxes` (null: not batched), of the program or, with
   * `grad`, of its `valueAndGrad` (per-example gradients).
   */
  | {
    kind: "vmap";
    size: number;
    inAxes: (number | null)[];
    batched: (Data | null)[];
    grad?: { argnums: number[]; cotangents: Cotangent[] };
  };

/** The weight of one float output in a scalar loss. */
export interface Cotangent extends Data {
  /** Index into the program's outputs. */
  output: number;
}

/** A random program. */
export interface Program {
  float: "float32" | "float64";
  inputs: Input[];
  nodes: Node[];
  /** Value ids returned, in order. */
  outputs: number[];
  mode: Mode;
}

/** Type of value `id`. */
export function typeOf(p: Program, id: number): VType {
  return id < p.inputs.length ? p.inputs[id].type : p.nodes[id - p.inputs.length].type;
}

/** Whether the program uses float64 anywhere (not on WebGPU). */
export function usesFloat64(p: Program): boolean {
  return p.float === "float64" ||
    [...p.inputs, ...p.nodes].some((v) => v.type.dtype === "float64");
}

/** Ranks of the inputs' common shape. */
const RANKS = [0, 1, 1, 2, 2, 2, 3, 3];
/** Axis sizes for inputs; size-1 axes are common, 5 and 7 leave a remainder after SIMD lanes. */
const DIMS = [1, 2, 3, 4, 1, 5, 2, 3, 7, 1, 6];
const MAX_INPUT = 48;
/** Most elements of a value. */
const MAX_VALUE = 144;
/**
 * One program in six is large: axes past a few SIMD vectors and a cache line, and values big
 * enough for fused kernels and gemms to split their work over the kernel threads.
 */
const LARGE_DIMS = [1, 17, 33, 64, 130, 255];
const LARGE_INPUT = 40_000;
const LARGE_VALUE = 80_000;

// Unbiased: the generator reads choices modulo small numbers, where fast-check's bias to small
// values would skew every distribution.
const nat = fc.noBias(fc.nat());
/** A node's raw choices (see choices.ts). */
export const rawNode: fc.Arbitrary<NodeChoice> = fc.record({
  op: nat,
  a: nat,
  b: nat,
  params: fc.array(nat, { minLength: 8, maxLength: 8 }),
  output: nat,
});
const rawInput = fc.record({ drop: nat, ones: nat, dtype: nat });
const rawProgram = fc.record({
  float: nat,
  rank: nat,
  dims: fc.array(nat, { minLength: 3, maxLength: 3 }),
  inputs: fc.array(rawInput, { minLength: 1, maxLength: 3, size: "max" }),
  nodes: fc.array(rawNode, { minLength: 1, maxLength: 12, size: "max" }),
  mode: nat,
  seed: nat,
  large: nat,
});

type RawProgram = typeof rawProgram extends fc.Arbitrary<infer T> ? T : never;

const RULE_NAMES = Object.keys(RULES);
const TOTAL_WEIGHT = RULE_NAMES.reduce((n, r) => n + RULES[r].weight, 0);

function weighted(k: number): string {
  let i = 0;
  for (k %= TOTAL_WEIGHT; k >= RULES[RULE_NAMES[i]].weight; i++) k -= RULES[RULE_NAMES[i]].weight;
  return RULE_NAMES[i];
}

/**
 * The rule a raw choice selects (by weight), then others drawn by weight from it (when a rule
 * finds no operand), then every rule.
 */
function ruleOrder(op: number): string[] {
  const draws = Array.from({ length: 8 }, (_, a) => weighted(op + Math.imul(a, 0x9e3779b1) >>> 0));
  return [...new Set([...draws, ...RULE_NAMES])];
}

/**
 * The node `choice` builds over values of `types` (which `read` values some node reads): by the
 * first rule in its order that finds operands and whose node `accept` takes; null when none does.
 */
export function growNode(
  types: readonly VType[],
  choice: NodeChoice,
  float: "float32" | "float64",
  read: ReadonlySet<number>,
  maxSize: number,
  accept: (b: Built) => boolean = () => true,
): Node | null {
  for (const rule of ruleOrder(choice.op)) {
    const built = RULES[rule].build(new Ctx(types, choice, float, read, maxSize));
    if (built && accept(built)) return { rule, ...built };
  }
  return null;
}

/** Data for an array of `t`, from a seed drawn from `next`. */
function dataOf(next: () => number, t: { shape: readonly number[]; dtype: DType }): Data {
  const seed = Math.floor(next() * 2 ** 31);
  return { seed, data: fill(seed, sizeOf(t.shape), t.dtype) };
}

function inputType(shape: number[], dtype: DType, data: number[]): VType {
  return vtype(shape, dtype, Math.max(1, ...data.map(Math.abs)), exactOfData(data, dtype));
}

function build(raw: RawProgram): Program {
  const float = raw.float % 4 === 3 ? "float64" : "float32";
  const next = stream(raw.seed);
  const large = raw.large % 6 === 5;
  const dims = large ? LARGE_DIMS : DIMS;
  const full = raw.dims.slice(0, RANKS[raw.rank % RANKS.length]).map((d) => dims[d % dims.length]);
  while (sizeOf(full) > (large ? LARGE_INPUT : MAX_INPUT)) {
    full[full.indexOf(Math.max(...full))]--;
  }
  const inputs: Input[] = raw.inputs.map((r) => {
    // A third of the inputs drop leading axes; an axis is 1 in a quarter of them.
    const drop = r.drop % 3 === 0 ? Math.floor(r.drop / 3) % (full.length + 1) : 0;
    const shape = full.slice(drop).map((d, i) => (Math.floor(r.ones / 4 ** i) % 4 === 0 ? 1 : d));
    const k = r.dtype % 10;
    const dtype: DType = k < 7 ? float : k < 9 ? "int32" : "bool";
    const d = dataOf(next, { shape, dtype });
    return { ...d, type: inputType(shape, dtype, d.data) };
  });
  const types = inputs.map((x) => x.type);
  const nodes: Node[] = [];
  const flagged: number[] = [];
  const read = new Set<number>();
  for (const choice of raw.nodes) {
    const n = growNode(types, choice, float, read, large ? LARGE_VALUE : MAX_VALUE);
    if (!n) continue;
    nodes.push(n);
    types.push(n.type);
    for (const id of reads(n.expr)) read.add(id);
    if (choice.output % 5 === 4) flagged.push(types.length - 1);
  }
  const sinks = nodes.map((_, i) => inputs.length + i).filter((id) => !read.has(id));
  const outputs = [...new Set([...flagged, ...sinks])].sort((a, b) => a - b);
  const program: Program = { float, inputs, nodes, outputs, mode: { kind: "value" } };
  program.mode = chooseMode(program, large ? raw.mode % 12 : raw.mode, next);
  return program;
}

function chooseMode(p: Program, raw: number, next: () => number): Mode {
  const k = raw % 20;
  // Value 20%, grad 40%, hessian 20%, vmap 20% (half of it of valueAndGrad).
  const floatInputs = p.inputs.flatMap((x, i) => (isFloatDType(x.type.dtype) ? [i] : []));
  const floatOutputs = p.outputs.flatMap((id, j) => (isFloatDType(typeOf(p, id).dtype) ? [j] : []));
  const cotangents = () =>
    floatOutputs.map((j) => ({ output: j, ...dataOf(next, typeOf(p, p.outputs[j])) }));
  if (k >= 16) {
    const size = 2 + Math.floor(next() * 2);
    const inAxes = p.inputs.map((x): number | null => {
      const u = next();
      if (u < 0.5) return 0;
      if (u < 0.75) return null;
      const rank = x.type.shape.length;
      return Math.floor(next() * (rank + 1)) - (next() < 0.3 ? rank + 1 : 0);
    });
    if (!inAxes.some((a) => a !== null)) inAxes[0] = 0;
    const batched = p.inputs.map((x, i) =>
      inAxes[i] === null ? null : dataOf(next, { ...x.type, shape: [size, ...x.type.shape] })
    );
    const differentiable = floatInputs.length > 0 && floatOutputs.length > 0;
    if (!differentiable || k < 18) return { kind: "vmap", size, inAxes, batched };
    return {
      kind: "vmap",
      size,
      inAxes,
      batched,
      grad: { argnums: floatInputs, cotangents: cotangents() },
    };
  }
  if (k < 4 || floatInputs.length === 0 || floatOutputs.length === 0) return { kind: "value" };
  const small = floatInputs.filter((i) => sizeOf(p.inputs[i].type.shape) <= 8);
  if (k >= 12 && small.length) {
    return {
      kind: "hessian",
      argnum: small[Math.floor(next() * small.length)],
      cotangents: cotangents(),
    };
  }
  return { kind: "grad", argnums: floatInputs, cotangents: cotangents() };
}

/** Random programs; `show` gives the text fast-check prints for a counterexample. */
export function programs(show: (p: Program) => string): fc.Arbitrary<Program> {
  return rawProgram.map((raw) => {
    const p = build(raw);
    return Object.assign(p, { [fc.toStringMethod]: () => show(p) });
  });
}
