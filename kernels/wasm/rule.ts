/**
 * The wasm backend's kernel rule type: how one primitive runs on the runtime, given its input
 * buffers, avals and params; it returns one fresh buffer handle per output.
 * @module
 */
import type { ShapedArray } from "../../core/aval.ts";
import type { Params } from "../../core/primitive.ts";
import type { KernelPrimitiveName } from "../../core/primitives/registry.ts";
import type { ParamsOf, RuleEntry } from "../rule_table.ts";
import type { WasmBuffer } from "./memory.ts";
import type { WasmRuntime } from "./runtime.ts";

/** One primitive's implementation on the wasm runtime, given params of type `P`. */
export type WasmRule<P extends Params = Params> = (
  rt: WasmRuntime,
  inputs: WasmBuffer[],
  inAvals: ShapedArray[],
  params: P,
  outAvals: ShapedArray[],
) => WasmBuffer[];

/** The wasm backend's entry for every kernel primitive: a kernel, a ref fallback or a refusal. */
export type WasmRuleTable = {
  readonly [N in KernelPrimitiveName]: RuleEntry<WasmRule<ParamsOf<N>>>;
};
