/**
 * `jit(f, { check: true })`: a compiled kernel program checked kernel by kernel against op-by-op
 * execution. The executor records what each kernel read as it started and what it wrote as it
 * ended (copies, since arena storage is reused by later kernels); the jaxpr is evaluated op by op
 * on the same backend keeping every value; the first kernel that read or wrote a value differing
 * from op by op is named, with its equations as `programToString` prints them, the value, the
 * element and both numbers. A wrong input whose producer wrote it right means storage was
 * overwritten while still needed; a wrong output means the kernel computed it wrongly.
 *
 * On a backend read synchronously (wasm) the comparison ends before the call returns. On one
 * read asynchronously (WebGPU) the call returns its outputs at once and the comparison finishes
 * in the background; the next read from the backend waits for it (`settleChecks`) and throws
 * what it found.
 * @module
 */
import type { ConcreteArray } from "../../core/array.ts";
import type { DType, TypedArray } from "../../core/dtype.ts";
import { AdjointError } from "../../core/errors.ts";
import { elementIndexStr } from "../../core/shape.ts";
import { type Jaxpr, Literal, type Var } from "../../core/jaxpr.ts";
import { bind } from "../../core/trace.ts";
import { type Kernel, type KernelProgram, programNames, programToString } from "./fusion.ts";

/**
 * What a checked run saw of one kernel, in the order of `kernel.inputs` and `kernel.outputs`
 * (`undefined` where a value has no storage of its own to read).
 */
export interface KernelValues<T> {
  /** Each input's contents as the kernel started. */
  inputs: (T | undefined)[];
  /** Each output's contents as the kernel ended. */
  outputs: (T | undefined)[];
}

/**
 * Relative tolerance of floats: far above the rounding differences of a changed order of
 * operations (fused reductions accumulate in vector lanes), far below a value read from the
 * wrong storage or computed by the wrong expression.
 */
const RTOL: Record<DType, number> = { bool: 0, int32: 0, float32: 1e-3, float64: 1e-9 };

/** Every value of `jaxpr` on `args`, evaluated op by op (nothing released: see `releaseValues`). */
function opByOp(jaxpr: Jaxpr, args: ConcreteArray[]): Map<Var, ConcreteArray> {
  const env = new Map<Var, ConcreteArray>();
  jaxpr.constVars.forEach((v, i) => env.set(v, jaxpr.consts[i] as ConcreteArray));
  jaxpr.inBinders.forEach((v, i) => env.set(v, args[i]));
  for (const e of jaxpr.eqns) {
    const ins = e.inputs.map((a) => (a instanceof Literal ? a.val : env.get(a)!));
    bind(e.prim, ins, e.params).forEach((x, j) => env.set(e.outBinders[j], x as ConcreteArray));
  }
  return env;
}

/** Releases the values `opByOp` computed, keeping the jaxpr's arguments and constants. */
function releaseValues(jaxpr: Jaxpr, values: Map<Var, ConcreteArray>): void {
  const keep = new Set([...jaxpr.constVars, ...jaxpr.inBinders].map((v) => values.get(v)));
  for (const e of jaxpr.eqns) {
    for (const v of e.outBinders) {
      const x = values.get(v);
      if (x && !keep.has(x)) x[Symbol.dispose]();
    }
  }
}

/** Runs a compiled program on `args`, recording into `seen` what each kernel read and wrote. */
export type RecordingRun<T> = (args: ConcreteArray[], seen: KernelValues<T>[]) => ConcreteArray[];

/**
 * Runs a compiled program that records its kernels' values into `seen` beside op-by-op
 * execution on the same backend (done first, so a program that corrupts its arguments cannot
 * corrupt the reference), and returns its outputs if every kernel agrees.
 */
export function runChecked(
  program: KernelProgram,
  args: ConcreteArray[],
  run: RecordingRun<TypedArray>,
): ConcreteArray[] {
  const want = opByOp(program.jaxpr, args);
  try {
    const seen: KernelValues<TypedArray>[] = [];
    const outs = run(args, seen);
    const host = new Map<Var, TypedArray>();
    const read = (v: Var) => host.get(v) ?? host.set(v, want.get(v)!.dataSync()).get(v)!;
    compareKernels(program, seen, read);
    return outs;
  } finally {
    releaseValues(program.jaxpr, want);
  }
}

/** Comparisons of checked calls still under way; the next read waits for them. */
const pendingChecks = new Set<Promise<void>>();

/**
 * What a read from a backend read asynchronously waits for first: the checks of earlier checked
 * calls still comparing, which reject with the first kernel that differed; `undefined` when
 * there are none.
 */
export function settleChecks(): Promise<void> | undefined {
  if (!pendingChecks.size) return undefined;
  const checks = [...pendingChecks];
  pendingChecks.clear();
  return Promise.all(checks).then(() => {});
}

/**
 * A checked call on a backend whose arrays are read asynchronously (with `read`): `run`, which
 * records copies of its kernels' values, returns its outputs now; their comparison with op by
 * op finishes in the background, pending until `settleChecks`.
 */
export function runCheckedAsync(
  program: KernelProgram,
  args: ConcreteArray[],
  run: RecordingRun<ConcreteArray>,
  read: (x: ConcreteArray) => Promise<TypedArray>,
): ConcreteArray[] {
  const { jaxpr } = program;
  const want = opByOp(jaxpr, args);
  const seen: KernelValues<ConcreteArray>[] = [];
  const outs = run(args, seen);
  const check = compareKernelsAsync(program, seen, want, read).finally(() => {
    releaseValues(jaxpr, want);
    for (const s of seen) for (const x of [...s.inputs, ...s.outputs]) x?.[Symbol.dispose]();
  });
  check.catch(() => {}); // surfaced by settleChecks, not as an unhandled rejection
  pendingChecks.add(check);
  return outs;
}

/**
 * `compareKernels` for a backend whose arrays are read asynchronously: the recorded values and
 * the op-by-op ones are read with `read`, then compared.
 */
async function compareKernelsAsync(
  program: KernelProgram,
  seen: KernelValues<ConcreteArray>[],
  want: Map<Var, ConcreteArray>,
  read: (x: ConcreteArray) => Promise<TypedArray>,
): Promise<void> {
  const host = new Map<ConcreteArray, TypedArray>();
  const compared = program.kernels.flatMap((k) => [...k.inputs, ...k.outputs]);
  const all = [
    ...compared.map((v) => want.get(v)),
    ...seen.flatMap((s) => [...s.inputs, ...s.outputs]),
  ];
  await Promise.all([...new Set(all)].map(async (x) => x && host.set(x, await read(x))));
  const onHost = (s: KernelValues<ConcreteArray>): KernelValues<TypedArray> => ({
    inputs: s.inputs.map((x) => x && host.get(x)),
    outputs: s.outputs.map((x) => x && host.get(x)),
  });
  compareKernels(program, seen.map((s) => s && onHost(s)), (v) => host.get(want.get(v)!)!);
}

/**
 * Throws an AdjointError naming the first kernel (in execution order) that read or wrote a value
 * differing from `want` (its op-by-op value); kernels without a record in `seen` are skipped.
 */
export function compareKernels(
  program: KernelProgram,
  seen: KernelValues<TypedArray>[],
  want: (v: Var) => TypedArray,
): void {
  const [lines, name] = [programToString(program).split("\n"), programNames(program)];
  const producer = new Map<Var, number>();
  program.kernels.forEach((k, i) => k.outputs.forEach((v) => producer.set(v, i)));
  const show = (v: Var, x: number | undefined) =>
    x === undefined ? "nothing" : v.aval.dtype === "bool" ? String(x !== 0) : String(x);
  const value = (v: Var, at: number) =>
    `${name(v)} (${v.aval}) at ${elementIndexStr(v.aval.shape, at)}`;
  /** The message for input `v` of kernel `i` holding `got` instead of its value, if it does. */
  const overwritten = (i: number, v: Var, got: TypedArray): string | undefined => {
    const at = firstDifference(v.aval.dtype, got, want(v), maxAbs(want(v)));
    if (at < 0) return undefined;
    const p = producer.get(v);
    const wrote = p === undefined
      ? undefined
      : seen[p]?.outputs[program.kernels[p].outputs.indexOf(v)];
    const origin = p === undefined ? "the program's argument held" : `kernel k${p} wrote`;
    return `check: kernel k${i} (${program.kernels[i].kind}) read ${value(v, at)} after its ` +
      `storage was overwritten: it held ${show(v, got[at])} where ${origin} ` +
      `${show(v, (wrote ?? want(v))[at])} (op by op: ${show(v, want(v)[at])}), so a kernel in ` +
      `between wrote over a value still needed.\n  ${lines[i]}` +
      (p === undefined ? "" : `\n  ${lines[p]}`);
  };
  /** The message for output `v` of kernel `i` being `got` instead of its value, if it is. */
  const wrong = (i: number, v: Var, got: TypedArray, inScale: number): string | undefined => {
    const k = program.kernels[i];
    const scale = Math.max(maxAbs(want(v)), elementwiseOnly(k) ? 0 : inScale);
    const at = firstDifference(v.aval.dtype, got, want(v), scale);
    if (at < 0) return undefined;
    return `check: kernel k${i} (${k.kind}) of the compiled program differs from op-by-op ` +
      `execution: its output ${value(v, at)} is ${show(v, got[at])} where op by op gives ` +
      `${show(v, want(v)[at])}.\n  ${lines[i]}`;
  };
  program.kernels.forEach((k, i) => {
    const s = seen[i];
    if (!s) return;
    const inScale = k.inputs.reduce((m, v) => Math.max(m, maxAbs(want(v))), 0);
    const fault = k.inputs.map((v, j) => s.inputs[j] && overwritten(i, v, s.inputs[j]!))
      .find((m) => m) ??
      k.outputs.map((v, j) => s.outputs[j] && wrong(i, v, s.outputs[j]!, inScale)).find((m) => m);
    if (fault) throw new AdjointError("jit", `${fault}\n${REPORT}`);
  });
}

const REPORT = "This is a fault of Adjoint's compiler; please report it with the program " +
  "printed by jit(f).lower(...args).compiled.program.";

/** Whether a kernel is a fused loop without a reduction: its rounding is op by op's. */
function elementwiseOnly(k: Kernel): boolean {
  return k.kind === "fused" && !k.eqns.some((e) => e.prim.properties.fusibleReduction);
}

/**
 * The first element where `got` and `want` differ, or -1: exactly for bool and int32; for floats
 * NaN equals NaN, infinities must match, and finite values may differ by the dtype's relative
 * tolerance of the larger of the expected magnitude and `scale`.
 */
export function firstDifference(
  dtype: DType,
  got: TypedArray,
  want: TypedArray,
  scale: number,
): number {
  const rtol = RTOL[dtype];
  const n = Math.min(got.length, want.length);
  for (let i = 0; i < n; i++) {
    const a = got[i], b = want[i];
    if (a === b) continue;
    if (rtol === 0) return i;
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    if (!Number.isFinite(a) || !Number.isFinite(b)) return i;
    if (Math.abs(a - b) > rtol * Math.max(Math.abs(b), scale)) return i;
  }
  return got.length === want.length ? -1 : n;
}

/** The largest finite magnitude in `xs` (0 when there is none). */
function maxAbs(xs: TypedArray): number {
  let m = 0;
  for (const x of xs) if (Math.abs(x) > m && Number.isFinite(x)) m = Math.abs(x);
  return m;
}
