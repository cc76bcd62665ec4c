/**
 * Running a jitted kernel program, what the wasm and WebGPU executors do alike. The program's
 * constants, and the literals its non-fused kernels read or it returns, are placed on the
 * backend once. A call binds the program's arguments and constants, runs the kernels in order,
 * each through the backend's rule for its kind, records for a checked call what each kernel read
 * as it started and wrote as it ended, frees storage the call made for an intermediate after
 * its last read (where the backend frees early), and hands out the outputs: an argument, a
 * constant or a literal as itself, every other value once however often it is returned.
 *
 * What differs between backends is a `KernelMachine`: what storage is (an array in linear
 * memory, a GPU buffer or a view of one), where planned values live in the arena, how each kind
 * of kernel launches, what a checked call records, how a result leaves the arena, and what
 * wraps a whole call (the WebGPU executor records it into one command buffer).
 *
 * Branches and loop bodies of control-flow primitives run as compiled programs of their own,
 * made once per sub-jaxpr (`subPrograms`), and scans' loop kernels once per body and direction
 * (`scanLoops`).
 * @module
 */
import { type Array, ConcreteArray } from "../../core/array.ts";
import type { Backend, CompiledProgram, RunOptions } from "../../core/backend.ts";
import type { ScanParams } from "../../core/control/scan.ts";
import type { SubJaxprRunner } from "../../core/control/sub_programs.ts";
import { AdjointError } from "../../core/errors.ts";
import { type Atom, evalJaxpr, type Jaxpr, Literal, Var } from "../../core/jaxpr.ts";
import type { ImplRule } from "../../core/primitive.ts";
import { simplify } from "../../core/transforms/simplify.ts";
import type { KernelValues } from "./check_program.ts";
import type { Kernel, KernelProgram } from "./fusion.ts";
import { type FusedScan, fusedScan } from "./loop_fusion.ts";

/** How many jitted calls of a backend ran as compiled kernel programs and how many op by op. */
export interface CallCounts {
  /** Calls that ran the kernel program. */
  compiled: number;
  /** Calls that ran the jaxpr op by op. */
  interpreted: number;
}

/** What a kernel rule sees of a call: the storage of each value, and where to bind its results. */
export interface KernelCall<R> {
  /** The storage of `v`: bound by an earlier kernel or the call, else planned in the arena. */
  ref(v: Var): R;
  /** The storage of an operand: a literal's (placed once), else `ref`. */
  operand(a: Atom): R;
  /**
   * Binds `v` to storage `at`; `fresh` where the call made it for `v` (it is handed out as a
   * result without a copy, and freed after its last read where the machine frees early).
   */
  bind(v: Var, at: R, fresh: boolean): void;
}

/** Runs (or records) one kernel of a program during a call. */
export type KernelRule<R> = (k: Kernel, call: KernelCall<R>) => void;

/**
 * A backend's rule for each kind of kernel; only a backend that fuses gemm epilogues (wasm) has
 * gemm kernels.
 */
export interface KernelRules<R> {
  /** A fused loop over the arena. */
  fused: KernelRule<R>;
  /** One primitive on the backend's eager kernels. */
  op: KernelRule<R>;
  /** A reshape: its output is its input's storage. */
  alias: KernelRule<R>;
  /** A matrix product with its epilogue. */
  gemm?: KernelRule<R>;
}

/** The backend-specific part of running a kernel program, over storage of type `R`. */
export interface KernelMachine<R, S> {
  /** The storage of an array of the backend (an argument, a constant or a literal). */
  storageOf(x: ConcreteArray): R;
  /** The arena storage the memory plan gives `v`, if it gives it any. */
  planned(v: Var): R | undefined;
  /** How each kind of kernel runs. */
  rules: KernelRules<R>;
  /** What a checked call records of `v`, held at `at`: a copy, as later kernels reuse storage. */
  snapshot(v: Var, at: R): S;
  /** Output `v`, held at `at`, as an array of its own (`fresh`: storage the call made for it). */
  result(v: Var, at: R, fresh: boolean): ConcreteArray;
  /** Frees fresh storage of an intermediate after its last read; without it, nothing is freed. */
  release?(at: R): void;
  /** Runs a whole call. */
  call<T>(run: () => T): T;
}

/** A program's constants and literals, placed on its backend once. */
export interface PlacedConstants {
  /** The jaxpr's constants, in the order of its `constVars`. */
  consts: ConcreteArray[];
  /** The literals non-fused kernels read (fused kernels inline theirs) and the program returns. */
  literals: Map<Literal, ConcreteArray>;
}

/** `x` as an array of `backend`: itself, or a copy of a synchronously readable array elsewhere. */
export function placeOn(backend: Backend, x: Array): ConcreteArray {
  const c = x as ConcreteArray;
  if (c.backend === backend) return c;
  const data = c.backend.readSync(c.buffer, c.aval);
  if (!data) {
    throw new AdjointError(
      "jit",
      `a constant on the ${c.backend.name} backend cannot be read synchronously to move it to ` +
        `${backend.name}; create it on ${backend.name} or move it first with toBackend`,
    );
  }
  return new ConcreteArray(c.aval, backend.fromHost(data.slice(), c.aval), backend);
}

/** Places the constants and literals of `program` on `backend`. */
export function placeConstants(program: KernelProgram, backend: Backend): PlacedConstants {
  const { jaxpr, kernels } = program;
  const literals = new Map<Literal, ConcreteArray>();
  const place = (a: Atom) => a instanceof Literal && literals.set(a, placeOn(backend, a.val));
  for (const k of kernels) if (k.kind !== "fused") k.eqns.forEach((e) => e.inputs.forEach(place));
  jaxpr.outs.forEach(place);
  return { consts: jaxpr.consts.map((x) => placeOn(backend, x)), literals };
}

/** Runs a kernel program; with `seen`, records there what each kernel read and wrote. */
export type ProgramRunner<S> = (args: ConcreteArray[], seen?: KernelValues<S>[]) => ConcreteArray[];

/** The runner of `program` with its constants `placed` on a backend that `machine` runs. */
export function programRunner<R, S>(
  program: KernelProgram,
  placed: PlacedConstants,
  machine: KernelMachine<R, S>,
): ProgramRunner<S> {
  const { jaxpr, kernels } = program;
  const consts = placed.consts.map((x) => machine.storageOf(x));
  const literals = new Map([...placed.literals].map(([a, x]) => [a, machine.storageOf(x)]));
  const dying = lastReads(program);
  const rules = kernels.map((k): KernelRule<R> => {
    const rule = machine.rules[k.kind];
    if (!rule) throw new AdjointError("jit", `internal: this backend runs no ${k.kind} kernels`);
    return rule;
  });
  const sources = outputSources(jaxpr, placed);

  return (args, seen) =>
    machine.call(() => {
      const env = new Map<Var, R>();
      const fresh = new Set<Var>();
      jaxpr.constVars.forEach((v, i) => env.set(v, consts[i]));
      jaxpr.inBinders.forEach((v, i) => env.set(v, machine.storageOf(args[i])));
      const find = (v: Var) => env.get(v) ?? machine.planned(v);
      const ref = (v: Var): R => {
        const at = find(v);
        if (at === undefined) {
          throw new AdjointError("jit", `internal: no storage for a value of ${v.aval}`);
        }
        return at;
      };
      const call: KernelCall<R> = {
        ref,
        operand: (a) => (a instanceof Literal ? literals.get(a)! : ref(a)),
        bind(v, at, isFresh) {
          env.set(v, at);
          if (isFresh) fresh.add(v);
        },
      };
      const snapshot = (v: Var) => {
        const at = find(v);
        return at === undefined ? undefined : machine.snapshot(v, at);
      };
      kernels.forEach((k, i) => {
        const inputs = seen && k.inputs.map(snapshot);
        rules[i](k, call);
        if (seen) seen[i] = { inputs: inputs!, outputs: k.outputs.map(snapshot) };
        if (machine.release) {
          for (const v of dying[i]) if (fresh.has(v)) machine.release(env.get(v)!);
        }
      });
      const outs: ConcreteArray[] = [];
      for (const o of sources) {
        outs.push(
          o.kind === "placed"
            ? o.array
            : o.kind === "argument"
            ? args[o.index]
            : o.kind === "repeat"
            ? outs[o.index]
            : machine.result(o.value, ref(o.value), fresh.has(o.value)),
        );
      }
      return outs;
    });
}

/** Per kernel, the values it reads last that the program does not return. */
function lastReads({ jaxpr, kernels }: KernelProgram): Var[][] {
  const outputs = new Set(jaxpr.outs.filter((a): a is Var => a instanceof Var));
  const lastUse = new Map<Var, number>();
  kernels.forEach((k, i) => k.inputs.forEach((v) => lastUse.set(v, i)));
  return kernels.map((k, i) =>
    [...new Set(k.inputs)].filter((v) => lastUse.get(v) === i && !outputs.has(v))
  );
}

/**
 * Where a program's output comes from in every call: a constant or literal placed once, an
 * argument, an earlier output (the same value returned again), or a value the call computes.
 */
type OutputSource =
  | { kind: "placed"; array: ConcreteArray }
  | { kind: "argument"; index: number }
  | { kind: "repeat"; index: number }
  | { kind: "computed"; value: Var };

/** The source of each output of `jaxpr`, decided once per program. */
function outputSources(jaxpr: Jaxpr, placed: PlacedConstants): OutputSource[] {
  return jaxpr.outs.map((a, j): OutputSource => {
    if (a instanceof Literal) return { kind: "placed", array: placed.literals.get(a)! };
    const c = jaxpr.constVars.indexOf(a);
    if (c >= 0) return { kind: "placed", array: placed.consts[c] };
    const arg = jaxpr.inBinders.indexOf(a);
    if (arg >= 0) return { kind: "argument", index: arg };
    const first = jaxpr.outs.indexOf(a);
    return first < j ? { kind: "repeat", index: first } : { kind: "computed", value: a };
  });
}

/**
 * How a backend runs a checked call (`jit(f, { check: true })`): `run` records each kernel's
 * values, which are compared with op-by-op execution (see check_program.ts).
 */
export type CheckedCall<S> = (
  program: KernelProgram,
  args: ConcreteArray[],
  run: ProgramRunner<S>,
) => ConcreteArray[];

/** A jitted program's calls: op by op, or its kernel program once that is ready. */
export interface ProgramCalls<S> {
  /** The kernel program. */
  program: KernelProgram;
  /** Where calls are counted. */
  counts: CallCounts;
  /** Runs the jaxpr op by op (counted by `interpreted`). */
  interpret: (args: ConcreteArray[]) => ConcreteArray[];
  /** The kernel program's runner, `null` while it cannot run (its kernels still compiling). */
  runner: () => ProgramRunner<S> | null;
  /** How a call asking for a check runs. */
  checked: CheckedCall<S>;
}

/** A function running a jitted program: op by op until its runner is ready, then compiled. */
export function programCalls<S>(calls: ProgramCalls<S>): CompiledProgram {
  return (args: ConcreteArray[], options?: RunOptions) => {
    const run = calls.runner();
    if (!run) return calls.interpret(args);
    calls.counts.compiled++;
    return options?.check ? calls.checked(calls.program, args, run) : run(args);
  };
}

/** Runs `jaxpr` op by op, counted in `counts`, with loop primitives run by `impls`. */
export function interpreter(
  jaxpr: Jaxpr,
  counts: CallCounts,
  impls?: Record<string, ImplRule>,
): (args: ConcreteArray[]) => ConcreteArray[] {
  return (args) => {
    counts.interpreted++;
    return evalJaxpr(jaxpr, args, impls) as ConcreteArray[];
  };
}

/** The compiled programs of a program's branches and loop bodies. */
export interface SubPrograms {
  /** The compiled program of a sub-jaxpr (simplified as `jit` simplifies; made once). */
  program(jaxpr: Jaxpr): CompiledProgram;
  /** Runs a sub-jaxpr as its compiled program, its operands placed on the backend. */
  runner: SubJaxprRunner;
}

/**
 * Sub-programs compiled by `compile` for `backend`, each the first time it runs: a jitted
 * program keeps its equations, and so their sub-jaxprs, from call to call.
 */
export function subPrograms(
  compile: (jaxpr: Jaxpr) => CompiledProgram,
  backend: Backend,
): SubPrograms {
  const programs = new WeakMap<Jaxpr, CompiledProgram>();
  const program = (jaxpr: Jaxpr) => {
    let run = programs.get(jaxpr);
    if (!run) programs.set(jaxpr, run = compile(simplify(jaxpr)));
    return run;
  };
  return {
    program,
    // An operand may be an uncommitted array of another backend (a constant the user made).
    runner: (jaxpr, args) => program(jaxpr)(args.map((x) => placeOn(backend, x))),
  };
}

/**
 * The loop kernel of each scan whose body is one elementwise loop (loop_fusion.ts; the body
 * simplified as `jit` simplifies it): what `make` builds from that loop and the body's constants,
 * once per body and direction; `null` where the body has no fused loop or `make` gives none.
 */
export function scanLoops<L>(
  make: (loop: FusedScan, p: ScanParams, bodyConsts: Array[]) => L | null,
): (p: ScanParams) => L | null {
  const loops = new WeakMap<Jaxpr, Map<boolean, L | null>>();
  const build = (p: ScanParams) => {
    const body = simplify(p.jaxpr);
    const loop = fusedScan(p, body);
    return loop && make(loop, p, body.consts);
  };
  return (p) => {
    const byDirection = loops.get(p.jaxpr) ?? loops.set(p.jaxpr, new Map()).get(p.jaxpr)!;
    if (!byDirection.has(p.reverse)) byDirection.set(p.reverse, build(p));
    return byDirection.get(p.reverse)!;
  };
}
