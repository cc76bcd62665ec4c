/**
 * AssemblyScript code generation for fused kernels: one exported function per kernel, a loop
 * nest over the kernel's iteration space that loads its inputs (broadcast inputs through strided
 * views), evaluates the fused equations in registers, and stores its outputs (a final reduction
 * accumulates into its output). Arguments are byte addresses in the shared linear memory.
 * @module
 */
import type { DType } from "../../core/dtype.ts";
import { type Atom, type JaxprEqn, Literal, Var } from "../../core/jaxpr.ts";
import { range, stridesOf } from "../../core/shape.ts";
import type { Kernel } from "../lowering/fusion.ts";

/** AssemblyScript register type of each dtype (bool is an i32 0/1, stored as one byte). */
const REG: Record<DType, string> = { float32: "f32", float64: "f64", int32: "i32", bool: "i32" };
/** Storage type of each dtype. */
const MEM: Record<DType, string> = { float32: "f32", float64: "f64", int32: "i32", bool: "u8" };
/** log2 of the element size. */
const SHIFT: Record<DType, number> = { float32: 2, float64: 3, int32: 2, bool: 0 };

const isF = (d: DType) => d === "float32" || d === "float64";
const lib = (d: DType) => (d === "float64" ? "Math" : "Mathf");

type Unary = (a: string, d: DType) => string;
type Binary = (a: string, b: string, d: DType) => string;

const call = (fn: string): Unary => (a, d) => `${lib(d)}.${fn}(${a})`;
const one = (d: DType) => `<${REG[d]}>1`;

/** Expression of each elementwise primitive, by operand dtype. */
const UNARY: Record<string, Unary> = {
  neg: (a) => `(-${a})`,
  sin: call("sin"),
  cos: call("cos"),
  exp: call("exp"),
  log: call("log"),
  log1p: call("log1p"),
  expm1: call("expm1"),
  tanh: call("tanh"),
  sqrt: call("sqrt"),
  floor: call("floor"),
  ceil: call("ceil"),
  logistic: (a, d) => `(${one(d)} / (${one(d)} + ${lib(d)}.exp(-${a})))`,
  rsqrt: (a, d) => `(${one(d)} / ${lib(d)}.sqrt(${a}))`,
  abs: (a, d) => (isF(d) ? `${lib(d)}.abs(${a})` : `abs<i32>(${a})`),
  sign: (a, d) => `<${REG[d]}>(${a} > 0 ? 1 : ${a} < 0 ? -1 : ${a})`,
  round: (a, d) => `(${lib(d)}.sign(${a}) * ${lib(d)}.floor(${lib(d)}.abs(${a}) + 0.5))`,
  erf: (a, d) => `<${REG[d]}>erf64(<f64>${a})`,
  erf_inv: (a, d) => `<${REG[d]}>erfInv64(<f64>${a})`,
  not: (a, d) => (d === "bool" ? `(${a} ^ 1)` : `(~${a})`),
  stop_gradient: (a) => a,
};

const cmp = (op: string): Binary => (a, b) => `<i32>(${a} ${op} ${b})`;

const BINARY: Record<string, Binary> = {
  add: (a, b) => `(${a} + ${b})`,
  sub: (a, b) => `(${a} - ${b})`,
  mul: (a, b) => `(${a} * ${b})`,
  div: (a, b, d) => isF(d) ? `(${a} / ${b})` : `(${b} == 0 ? 0 : ${b} == -1 ? -${a} : ${a} / ${b})`,
  pow: (a, b, d) => `${lib(d)}.pow(${a}, ${b})`,
  max: (a, b, d) => `max<${REG[d]}>(${a}, ${b})`,
  min: (a, b, d) => `min<${REG[d]}>(${a}, ${b})`,
  eq: cmp("=="),
  ne: cmp("!="),
  lt: cmp("<"),
  le: cmp("<="),
  gt: cmp(">"),
  ge: cmp(">="),
  and: (a, b) => `(${a} & ${b})`,
  or: (a, b) => `(${a} | ${b})`,
};

function convertExpr(a: string, from: DType, to: DType): string {
  if (from === to) return a;
  if (to === "bool") return `<i32>(${a} != 0)`;
  if (isF(to)) return `<${REG[to]}>${a}`;
  if (isF(from)) return `<i32>(${a})`;
  return a;
}

/** Reduction identity and combine step. */
const REDUCE: Record<string, { init: (d: DType) => string; step: Binary }> = {
  reduce_sum: { init: (d) => `<${REG[d]}>0`, step: (a, b) => `(${a} + ${b})` },
  reduce_max: {
    init: (d) => (isF(d) ? `<${REG[d]}>-Infinity` : "i32.MIN_VALUE"),
    step: (a, b, d) => `max<${REG[d]}>(${a}, ${b})`,
  },
  reduce_min: {
    init: (d) => (isF(d) ? `<${REG[d]}>Infinity` : "i32.MAX_VALUE"),
    step: (a, b, d) => `min<${REG[d]}>(${a}, ${b})`,
  },
};

function literal(l: Literal): string {
  const v = l.value;
  const d = l.aval.dtype;
  const text = Number.isNaN(v)
    ? "NaN"
    : v === Infinity
    ? "Infinity"
    : v === -Infinity
    ? "-Infinity"
    : String(v);
  return `<${REG[d]}>(${text})`;
}

/** Byte-offset expression of an element of an array with `strides` (over the space's indices). */
function offsetExpr(strides: number[], shift: number): string {
  const terms = strides.flatMap((s, d) => (s === 0 ? [] : [s === 1 ? `i${d}` : `i${d} * ${s}`]));
  const linear = terms.length ? terms.join(" + ") : "0";
  return shift ? `((${linear}) << ${shift})` : `(${linear})`;
}

/** Strides (over the space) at which a broadcast view reads its operand. */
function viewStrides(e: JaxprEqn, space: readonly number[]): number[] {
  const x = e.inputs[0].aval;
  const xs = stridesOf(x.shape);
  const dims = e.params.dims as number[];
  const out = space.map(() => 0);
  dims.forEach((o, i) => (out[o] = x.shape[i] === 1 ? 0 : xs[i]));
  return out;
}

/** Emits one fused kernel as an exported AssemblyScript function named `name`. */
export function emitFusedKernel(k: Kernel, name: string): string {
  const space = k.space!;
  const names = new Map<Var, string>();
  k.inputs.forEach((v, i) => names.set(v, `in${i}`));
  const reg = (a: Atom): string => (a instanceof Literal ? literal(a) : `r${id(a)}`);
  const ids = new Map<Var, number>();
  const id = (v: Var) => ids.get(v) ?? ids.set(v, ids.size).get(v)!;
  const direct = stridesOf(space);
  const body: string[] = [];
  const loaded = new Set<Var>();
  const load = (v: Var, strides: number[]) => {
    if (loaded.has(v)) return;
    loaded.add(v);
    const d = v.aval.dtype;
    const addr = `${names.get(v)} + ${offsetExpr(strides, SHIFT[d])}`;
    const raw = `load<${MEM[d]}>(${addr})`;
    body.push(`const ${reg(v)}: ${REG[d]} = ${d === "bool" ? `<i32>${raw}` : raw};`);
  };
  const pre: string[] = [];
  const outIndex = new Map<Var, number>();
  k.outputs.forEach((v, i) => outIndex.set(v, i));
  const store = (v: Var) => {
    if (!outIndex.has(v)) return;
    const d = v.aval.dtype;
    const addr = `out${outIndex.get(v)} + ${offsetExpr(direct, SHIFT[d])}`;
    body.push(`store<${MEM[d]}>(${addr}, <${REG[d]}>${reg(v)});`);
  };
  for (const e of k.eqns) {
    const out = e.outBinders[0];
    const d = out.aval.dtype;
    const name0 = e.prim.name;
    if (name0 === "broadcast_in_dim") {
      const src = e.inputs[0];
      if (src instanceof Literal) body.push(`const ${reg(out)}: ${REG[d]} = ${literal(src)};`);
      else {
        const strides = viewStrides(e, space);
        const v = src as Var;
        const addr = `${names.get(v)} + ${offsetExpr(strides, SHIFT[d])}`;
        const raw = `load<${MEM[d]}>(${addr})`;
        body.push(`const ${reg(out)}: ${REG[d]} = ${d === "bool" ? `<i32>${raw}` : raw};`);
      }
      store(out);
      continue;
    }
    for (const a of e.inputs) if (a instanceof Var && names.has(a)) load(a, direct);
    const args = e.inputs.map(reg);
    const inD = e.inputs[0].aval.dtype;
    let expr: string;
    if (REDUCE[name0]) {
      const axes = e.params.axes as number[];
      const kept = range(space.length).filter((i) => !axes.includes(i));
      const keptStrides = stridesOf(kept.map((i) => space[i]));
      const strides = space.map(() => 0);
      kept.forEach((dim, j) => (strides[dim] = keptStrides[j]));
      const o = `out${outIndex.get(out)}`;
      const addr = `${o} + ${offsetExpr(strides, SHIFT[d])}`;
      const size = out.aval.size;
      const { init, step } = REDUCE[name0];
      pre.push(
        `for (let j = 0; j < ${size}; j++) store<${MEM[d]}>(${o} + (j << ${SHIFT[d]}), ${
          init(d)
        });`,
      );
      body.push(`store<${MEM[d]}>(${addr}, ${step(`load<${MEM[d]}>(${addr})`, args[0], d)});`);
      continue;
    }
    if (name0 === "convert_element_type") expr = convertExpr(args[0], inD, d);
    else if (name0 === "select_n") expr = `(${args[0]} != 0 ? ${args[2]} : ${args[1]})`;
    else if (UNARY[name0]) expr = UNARY[name0](args[0], inD);
    else if (BINARY[name0]) expr = BINARY[name0](args[0], args[1], inD);
    else throw new Error(`fused codegen: no expression for ${name0}`);
    body.push(`const ${reg(out)}: ${REG[d]} = ${expr};`);
    store(out);
  }
  const params = [
    ...k.inputs.map((_, i) => `in${i}: usize`),
    ...k.outputs.map((_, i) => `out${i}: usize`),
  ];
  const indent = (n: number) => "  ".repeat(n);
  const loops = space.map((n, d) => `${indent(d + 1)}for (let i${d} = 0; i${d} < ${n}; i${d}++) {`);
  const close = space.map((_, d) => `${indent(space.length - d)}}`);
  const inner = indent(space.length + 1);
  return [
    `export function ${name}(${params.join(", ")}): void {`,
    ...pre.map((l) => `  ${l}`),
    ...loops,
    ...body.map((l) => inner + l),
    ...close,
    `}`,
  ].join("\n");
}

/** Scalar helpers the expressions may call (erf and its inverse, evaluated in f64). */
const PRELUDE = `
function erf64(x: f64): f64 {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = ax, sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / <f64>n;
      const add = term / <f64>(2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * 1.1283791670955126 * sum;
  }
  let f = ax, c = ax, d = 0.0;
  for (let n = 1; n < 300; n++) {
    const a = <f64>n / 2;
    d = ax + a * d;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = ax + a / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.sign(x) * (1 - Math.exp(-ax * ax) / (f * 1.7724538509055159));
}
function erfInv64(y: f64): f64 {
  if (y <= -1) return y == -1 ? -Infinity : NaN;
  if (y >= 1) return y == 1 ? Infinity : NaN;
  let x = 0.0;
  for (let i = 0; i < 60; i++) {
    const err = erf64(x) - y;
    const step = err / (1.1283791670955126 * Math.exp(-x * x));
    x -= step;
    if (Math.abs(step) < 1e-15 * (1 + Math.abs(x))) break;
  }
  return x;
}
`;

/**
 * Every module references the same math functions, so every module's static data (the math
 * tables) has the same layout and modules compiled with one `memoryBase` can share that region.
 */
const ANCHOR = `
export function heap_base(): usize {
  return __heap_base;
}
export function math_anchor(x: f64, y: f32): f64 {
  const a = Math.sin(x) + Math.cos(x) + Math.exp(x) + Math.log(x) + Math.log1p(x) + Math.expm1(x) +
    Math.tanh(x) + Math.sqrt(x) + Math.floor(x) + Math.ceil(x) + Math.abs(x) + Math.pow(x, x) +
    Math.sign(x) + erf64(x) + erfInv64(x);
  const b = Mathf.sin(y) + Mathf.cos(y) + Mathf.exp(y) + Mathf.log(y) + Mathf.log1p(y) +
    Mathf.expm1(y) + Mathf.tanh(y) + Mathf.sqrt(y) + Mathf.floor(y) + Mathf.ceil(y) +
    Mathf.abs(y) + Mathf.pow(y, y) + Mathf.sign(y);
  return a + <f64>b;
}
`;

/** One AssemblyScript module exporting each fused kernel under its name. */
export function emitFusedModule(kernels: ReadonlyMap<string, Kernel>): string {
  const fns = [...kernels].map(([name, k]) => emitFusedKernel(k, name));
  return [PRELUDE.trim(), ANCHOR.trim(), ...fns].join("\n\n") + "\n";
}
