/**
 * The wasm backend's kernel rule type: how one primitive runs on the runtime, given its input
 * buffers, avals and params; it returns one fresh buffer handle per output.
 * @module
 */
import type { ShapedArray } from "../../core/aval.ts";
import type { Params } from "../../core/primitive.ts";
import type { WasmBuffer } from "./memory.ts";
import type { WasmRuntime } from "./runtime.ts";

/** One primitive's implementation on the wasm runtime. */
export type WasmRule = (
  rt: WasmRuntime,
  inputs: WasmBuffer[],
  inAvals: ShapedArray[],
  params: Params,
  outAvals: ShapedArray[],
) => WasmBuffer[];
