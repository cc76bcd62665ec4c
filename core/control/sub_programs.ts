/**
 * How control-flow primitives run their branches and loop bodies when evaluated: op by op by
 * default; a compiled kernel program, inside a jitted program whose backend compiles them (the
 * wasm executor installs its runner while it runs such a primitive).
 * @module
 */
import type { Array } from "../array.ts";
import { evalJaxpr, Jaxpr, type JaxprEqn } from "../jaxpr.ts";

/** Runs a sub-jaxpr on concrete arguments. */
export type SubJaxprRunner = (jaxpr: Jaxpr, args: Array[]) => Array[];

let runner: SubJaxprRunner = evalJaxpr;

/** Runs a branch or loop body of a control-flow primitive being evaluated. */
export function runSubJaxpr(jaxpr: Jaxpr, args: Array[]): Array[] {
  return runner(jaxpr, args);
}

/** Runs `fn` with sub-jaxprs run by `r`. */
export function withSubJaxprRunner<T>(r: SubJaxprRunner, fn: () => T): T {
  const previous = runner;
  runner = r;
  try {
    return fn();
  } finally {
    runner = previous;
  }
}

/** Whether an equation applies a higher-order primitive (one whose params hold jaxprs). */
export function hasSubJaxprs(e: JaxprEqn): boolean {
  return Object.values(e.params).some((v) =>
    v instanceof Jaxpr || (globalThis.Array.isArray(v) && v.some((x) => x instanceof Jaxpr))
  );
}
