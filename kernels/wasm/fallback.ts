/**
 * The wasm backend's slow path: run a primitive's reference kernel on copies of the inputs and
 * copy the results back. Used for what has no wasm kernel (sort, integer contractions, bool
 * scatter-adds) and for primitives added to the reference backend later, so the wasm backend
 * supports every primitive the reference backend does.
 * @module
 */
import type { TypedArray } from "../../core/dtype.ts";
import { refBackend } from "../ref/backend.ts";
import type { WasmRule } from "./rule.ts";

/** Runs primitive `name` through the reference backend. */
export function viaRef(name: string): WasmRule {
  return (rt, inputs, inAvals, params, outAvals) => {
    const host = inputs.map((b, i) => rt.toHost(b, inAvals[i].dtype, inAvals[i].size));
    const outs = refBackend.execute(name, host, inAvals, params, outAvals) as TypedArray[];
    return outs.map((o, i) => rt.fromHost(o, outAvals[i].dtype));
  };
}
