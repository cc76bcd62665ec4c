/**
 * `pjit`: a jitted function called inside another transformation (`grad(jit(f))`, `vmap(jit(f))`,
 * `jit(g)` where `g` calls `jit(f)`) stays one equation holding its jaxpr, as JAX's `pjit`, instead
 * of being replayed op by op. Its rules transform the jaxpr (each transformed jaxpr made once per
 * jaxpr and transformation) and bind `pjit` again, so what finally runs is a compiled program;
 * inside an outer `jit` the equation is inlined before lowering (by `simplify`).
 * @module
 */
import { ConcreteArray } from "../array.ts";
import { type Backend, type CompiledProgram, getBackend } from "../backend.ts";
import { evalJaxpr, type Jaxpr } from "../jaxpr.ts";
import { Primitive } from "../primitive.ts";
import { simplify } from "../transforms/simplify.ts";
import { type CallParams, installCallRules } from "./call_rules.ts";

/** Params of `pjit`. */
export interface PjitParams extends CallParams {
  /** Whether the first call waits for compilation (`jit`'s `compile: "sync"`). */
  sync: boolean;
}

/** The pjit primitive. */
export const pjitP: Primitive<"pjit", PjitParams> = new Primitive("pjit");

installCallRules(pjitP);

const programs = new WeakMap<Jaxpr, Map<Backend, CompiledProgram>>();

/** Runs the jaxpr as a compiled program of the arguments' backend, when that backend compiles. */
pjitP.impl = (args, params) => {
  const { jaxpr, sync } = params;
  const concrete = args.every((a) => a instanceof ConcreteArray);
  const backend = concrete && args.length ? (args[0] as ConcreteArray).backend : getBackend();
  if (!concrete || !backend.compile) return evalJaxpr(jaxpr, args);
  let byBackend = programs.get(jaxpr);
  if (!byBackend) programs.set(jaxpr, byBackend = new Map());
  let run = byBackend.get(backend);
  if (!run) byBackend.set(backend, run = backend.compile(simplify(jaxpr), { sync }));
  return run(args as ConcreteArray[]);
};
