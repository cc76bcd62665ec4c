/**
 * The wasm backend's slow path: run a primitive's reference kernel on copies of the inputs and
 * copy the results back. Used for the primitives its rule table marks `refFallback` (sort, the
 * combining scatters, linear algebra) and, inside some rules, for the dtypes their kernels lack
 * (integer contractions, bool scatter-adds).
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
