/**
 * `jit`: trace once per input signature, simplify the jaxpr, cache it, and run it. When a backend
 * can compile jaxprs, the cached program is compiled for it; under an outer transformation
 * (`grad(jit(f))`, `vmap(jit(f))`) the call is one `pjit` equation whose rules transform the
 * cached jaxpr, so what runs is compiled too.
 * @module
 */
import { type Array, ConcreteArray } from "../array.ts";
import {
  type Backend,
  type CompiledProgram,
  getBackend,
  type RunOptions,
  withDefaultBackend,
} from "../backend.ts";
import { config } from "../config.ts";
import { findNonFinite } from "../debug_nans.ts";
import { AdjointError } from "../errors.ts";
import { evalJaxpr, type Jaxpr } from "../jaxpr.ts";
import { bind, evaluatingEagerly, Tracer } from "../trace.ts";
import { pjitP, type PjitParams } from "../control/pjit.ts";
import { type ClosedJaxpr, hoistConsts } from "../control/sub_jaxpr.ts";
import { flatten, type Tree, type TreeDef, unflatten } from "../tree.ts";
import { flattenArrays, flattenFun, type OutStore } from "./flat.ts";
import { makeJaxprFlat } from "./make_jaxpr.ts";
import { simplify } from "./simplify.ts";

/** Options of `jit`. */
export interface JitOptions {
  /** Positional arguments that are compile-time constants: part of the cache key, not traced. */
  staticArgnums?: number[];
  /**
   * `"async"` (default): the first calls may run op by op while the backend compiles in the
   * background. `"sync"`: the first call waits for compilation (tests and benchmarks).
   */
  compile?: "async" | "sync";
  /**
   * The backend to run on, e.g. `"webgpu"`: array arguments must already live there (move them
   * with `toBackend`) and arrays the function creates while tracing are placed there. Default:
   * the arguments' backend.
   */
  backend?: string;
  /**
   * Positional arguments whose arrays the call consumes, as JAX's `donate_argnums`: their
   * buffers are released as soon as the call returns (unless an output is the same buffer), so a
   * training step `state = step(state, batch)` keeps memory flat without waiting for the garbage
   * collector. Using a donated array afterwards is an error that says so. An array passed in
   * several donated places (`step(x, x)`, or twice in one pytree, as when `jit` hands back one
   * array for two equal outputs) is consumed once, after the call. Calls under an outer
   * transformation (`grad(jit(f))`) donate nothing, as in JAX.
   */
  donateArgnums?: number[];
  /**
   * Run each compiled call beside op-by-op execution on the same backend and throw an error
   * naming the first kernel whose output differs, with its equations (default:
   * `config.checkJit`, on when `ADJOINT_CHECK_JIT=1`). The first call compiles synchronously so
   * that it is checked. Slow: for finding a compiler fault, not for training. On webgpu the
   * comparison finishes in the background and the next read from the backend throws it.
   */
  check?: boolean;
}

/** What `jit(f).lower(...args)` shows: the simplified jaxpr and what the backend makes of it. */
export interface Lowered {
  /** The simplified jaxpr. */
  readonly jaxpr: Jaxpr;
  /** The backend's compiled forms by name (e.g. `program`, `assemblyscript`); empty for ref. */
  readonly compiled: Record<string, string>;
  /** The jaxpr's text. */
  toString(): string;
}

/** A jitted function. */
export interface Jitted {
  /** Runs the cached program for these arguments (tracing it first if needed). */
  (...args: any[]): any;
  /** Traces and simplifies for these arguments, returning the program without running it. */
  lower(...args: any[]): Lowered;
}

interface Entry {
  jaxpr: Jaxpr;
  outDef: TreeDef;
  compiled?: CompiledProgram;
  /** The jaxpr as a pjit equation holds it (consts as leading operands). */
  call?: ClosedJaxpr;
}

const objectIds = new WeakMap<object, number>();
let nextObjectId = 0;

function staticKey(op: string, i: number, v: unknown): string {
  if (v instanceof ConcreteArray || v instanceof Tracer) {
    throw new AdjointError(
      op,
      `static argument ${i} is an array; static arguments must be plain JS values ` +
        `(numbers, strings, booleans, objects of them)`,
    );
  }
  if (typeof v === "object" && v !== null || typeof v === "function") {
    try {
      if (typeof v !== "function") return JSON.stringify(v);
    } catch { /* not serialisable: fall back to identity */ }
    if (!objectIds.has(v as object)) objectIds.set(v as object, ++nextObjectId);
    return `#${objectIds.get(v as object)}`;
  }
  return `${typeof v}:${String(v)}`;
}

/** Compiles `f` by tracing: the result runs the same computation with per-signature caching. */
export function jit(f: (...args: any[]) => any, options: JitOptions = {}): Jitted {
  const statics = new Set(options.staticArgnums ?? []);
  const cache = new Map<string, Entry>();

  const prepare = (args: unknown[]): [Entry, Array[]] => {
    for (const s of statics) {
      if (!(s >= 0 && s < args.length)) {
        throw new AdjointError(
          "jit",
          `staticArgnums ${s} is out of range for a call with ${args.length} argument(s)`,
        );
      }
    }
    const dynamic = args.filter((_, i) => !statics.has(i));
    const [leaves, def] = flattenArrays("jit", dynamic as Tree);
    // Constants are placed when the function is traced, so the backend is part of the key.
    const key = [
      def.toString(),
      options.backend ?? getBackend().name,
      ...leaves.map((l) => `${l.aval}${l instanceof ConcreteArray ? `@${l.backend.name}` : ""}`),
      ...[...statics].sort().map((i) => staticKey("jit", i, args[i])),
    ].join("|");
    let entry = cache.get(key);
    if (!entry) {
      const store: OutStore = {};
      const call = (...dyn: unknown[]) => {
        let k = 0;
        return f(...args.map((a, i) => (statics.has(i) ? a : dyn[k++])));
      };
      // Traced constants land on the requested backend.
      const trace = () =>
        makeJaxprFlat(flattenFun("jit", call, def, store), leaves.map((l) => l.aval));
      const jaxpr = simplify(
        options.backend === undefined ? trace() : withDefaultBackend(options.backend, trace),
      );
      entry = { jaxpr, outDef: store.def! };
      if (!jaxpr.consts.some((c) => c instanceof Tracer)) cache.set(key, entry);
    }
    return [entry, leaves];
  };

  const donated = checkDonations(options);
  const jitted = (...args: unknown[]) => {
    const [entry, leaves] = prepare(args);
    const backend = backendFor(leaves, options.backend);
    const check = (options.check ?? config.checkJit) && evaluatingEagerly();
    const call = () =>
      run(entry, leaves, backend, {
        sync: options.compile === "sync",
        check,
        name: f.name || "fn",
      });
    const outs = config.debugNans && evaluatingEagerly()
      ? findNonFinite(call, () => flatten(eager(f, args, options.backend))[0])
      : call();
    // Under an outer transformation the arguments may still be needed (residuals of grad).
    const concrete = (a: Array) => a instanceof ConcreteArray;
    if (donated.size && leaves.every(concrete) && outs.every(concrete)) {
      releaseDonated(args, donated, outs);
    }
    return unflatten(entry.outDef, outs);
  };
  jitted.lower = (...args: unknown[]): Lowered => {
    const [{ jaxpr }, leaves] = prepare(args);
    const backend = backendFor(leaves, options.backend);
    return { jaxpr, compiled: backend.describe?.(jaxpr) ?? {}, toString: () => jaxpr.toString() };
  };
  return jitted;
}

/** The requested backend (checking that concrete arguments live there), else the arguments'. */
function backendFor(leaves: Array[], name: string | undefined): Backend {
  if (name === undefined) {
    return leaves.length && leaves[0] instanceof ConcreteArray ? leaves[0].backend : getBackend();
  }
  const backend = getBackend(name);
  leaves.forEach((l, i) => {
    if (l instanceof ConcreteArray && l.backend !== backend) {
      throw new AdjointError(
        "jit",
        `argument ${i} (flattened) lives on the ${l.backend.name} backend but this function is ` +
          `jitted for "${name}"; move it first with toBackend(x, "${name}")`,
      );
    }
  });
  return backend;
}

const CHECK: RunOptions = { check: true };

function run(
  entry: Entry,
  leaves: Array[],
  backend: Backend,
  { sync, check, name }: { sync: boolean; check: boolean; name: string },
): Array[] {
  const concrete = leaves.every((l) => l instanceof ConcreteArray) &&
    !entry.jaxpr.consts.some((c) => c instanceof Tracer);
  if (concrete && backend.compile) {
    entry.compiled ??= backend.compile(entry.jaxpr, { sync: sync || check });
    return entry.compiled(leaves as ConcreteArray[], check ? CHECK : undefined);
  }
  if (concrete) return evalJaxpr(entry.jaxpr, leaves);
  // Under a transformation: one pjit equation, whose rules keep the computation compiled.
  entry.call ??= hoistConsts(entry.jaxpr);
  const { jaxpr, consts } = entry.call;
  return bind(pjitP, [...consts, ...leaves], { jaxpr, name, sync } satisfies PjitParams);
}

/** `f` called on `args` without jit (on `backend` when one was requested), as debugNans reruns it. */
function eager(
  f: (...args: any[]) => any,
  args: unknown[],
  backend: string | undefined,
): Tree<Array> {
  return backend === undefined ? f(...args) : withDefaultBackend(backend, () => f(...args));
}

/** The donated argument positions, checked against the static ones. */
function checkDonations(options: JitOptions): Set<number> {
  const donated = new Set(options.donateArgnums ?? []);
  for (const i of donated) {
    if (!(Number.isInteger(i) && i >= 0)) {
      throw new AdjointError("jit", `donateArgnums entries must be integers >= 0, got ${i}`);
    }
    if (options.staticArgnums?.includes(i)) {
      throw new AdjointError("jit", `argument ${i} cannot be both static and donated`);
    }
  }
  return donated;
}

/**
 * Releases the concrete arrays of the donated arguments, except those that another argument
 * also passes or whose buffer an output shares.
 */
function releaseDonated(args: unknown[], donated: Set<number>, outs: Array[]): void {
  const arraysOf = (i: number) =>
    flatten(args[i] as Tree)[0].filter((l): l is ConcreteArray => l instanceof ConcreteArray);
  const kept = new Set<unknown>();
  for (const o of outs) if (o instanceof ConcreteArray) kept.add(o.buffer);
  args.forEach((_, i) => !donated.has(i) && arraysOf(i).forEach((l) => kept.add(l.buffer)));
  for (const i of donated) {
    if (i >= args.length) continue;
    for (const l of arraysOf(i)) {
      if (!l.released && !kept.has(l.buffer)) l.release("was donated to a jitted function");
    }
  }
}
