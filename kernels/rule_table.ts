/**
 * Rule tables: how each backend runs each kernel primitive (core/primitives/registry.ts). A
 * backend's table is typed as exhaustive over the registry's names, so a primitive without a
 * rule there is a compile error; what a backend has no kernel for is written in its table as an
 * explicit `refFallback(...)` (run the reference kernel on copies) or `unsupported(...)` (refuse,
 * saying what to do instead), never left to a silent default.
 *
 * ```ts
 * import { coverageOf, refFallback } from "./rule_table.ts";
 * console.log(coverageOf(refFallback("no kernel yet"))); // "refFallback"
 * ```
 * @module
 */
import type { KernelPrimitiveName, KernelPrimitiveParams } from "../core/primitives/registry.ts";

/** A primitive the backend runs through the reference kernel, on copies of its inputs. */
export interface RefFallback {
  /** Which kind of entry this is. */
  readonly kind: "refFallback";
  /** Why there is no native kernel. */
  readonly reason: string;
}

/** A primitive the backend refuses to run. */
export interface Unsupported {
  /** Which kind of entry this is. */
  readonly kind: "unsupported";
  /** The error message: why, and what to do instead. */
  readonly reason: string;
}

/** An explicit entry: run the reference kernel on copies, for the `reason` given. */
export function refFallback(reason: string): RefFallback {
  return { kind: "refFallback", reason };
}

/** An explicit entry: refuse, with `reason` as the error message. */
export function unsupported(reason: string): Unsupported {
  return { kind: "unsupported", reason };
}

/**
 * One entry of a rule table: the backend's own rule (a function), a fallback, or a refusal. A
 * backend's table maps every `KernelPrimitiveName` `N` to a `RuleEntry` of its rule type at
 * `ParamsOf<N>`.
 */
export type RuleEntry<R> = R | RefFallback | Unsupported;

/** How a backend runs one primitive. */
export type Coverage = "native" | "refFallback" | "unsupported";

/** The coverage an entry states. */
export function coverageOf(entry: RuleEntry<unknown>): Coverage {
  if (typeof entry === "function") return "native";
  return (entry as RefFallback | Unsupported).kind;
}

/** Whether an entry is the backend's own rule. */
export function isNative<R>(entry: RuleEntry<R>): entry is R {
  return typeof entry === "function";
}

/** A table of `make(name)` for each of `names`, keyed by name. */
export function rulesFor<K extends string, R>(
  names: readonly K[],
  make: (name: K) => R,
): Record<K, R> {
  return Object.fromEntries(names.map((name) => [name, make(name)])) as Record<K, R>;
}

/** `table` with each value replaced by `make(value, name)`. */
export function mapRules<K extends string, A, R>(
  table: Readonly<Record<K, A>>,
  make: (value: A, name: K) => R,
): Record<K, R> {
  const names = Object.keys(table) as K[];
  return rulesFor(names, (name) => make(table[name], name));
}

/** The params type of kernel primitive `N`. */
export type ParamsOf<N extends KernelPrimitiveName> = KernelPrimitiveParams[N];
