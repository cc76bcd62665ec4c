/**
 * The reference backend: plain TypeScript over typed arrays, float64-capable. It defines the
 * semantics every other backend is tested against.
 * @module
 */
import type { ShapedArray } from "../../core/aval.ts";
import { type Backend, checkHostData, registerBackend } from "../../core/backend.ts";
import type { TypedArray } from "../../core/dtype.ts";
import { AdjointError } from "../../core/errors.ts";
import type { Params } from "../../core/primitive.ts";
import { contractionImpls } from "./contraction.ts";
import { elementwiseImpls } from "./elementwise.ts";
import type { RefImpl } from "./impl.ts";
import { scatterImpls } from "./scatter.ts";
import { structuralImpls } from "./structural.ts";

const impls: Record<string, RefImpl> = {
  ...elementwiseImpls,
  ...structuralImpls,
  ...contractionImpls,
  ...scatterImpls,
};

/** Adds reference kernels for further primitives (e.g. random bits). */
export function registerRefImpls(more: Record<string, RefImpl>): void {
  Object.assign(impls, more);
}

/** The reference backend instance. */
export const refBackend: Backend = {
  name: "ref",
  fromHost(data: TypedArray, aval: ShapedArray) {
    checkHostData("ref", data, aval);
    return data;
  },
  readSync: (buffer) => buffer as TypedArray,
  read: (buffer) => Promise.resolve(buffer as TypedArray),
  execute(prim: string, inputs, inAvals: ShapedArray[], params: Params, outAvals: ShapedArray[]) {
    const impl = impls[prim];
    if (!impl) throw new AdjointError(prim, "no kernel on the ref backend");
    return impl(inputs as TypedArray[], inAvals, params, outAvals);
  },
};

registerBackend(refBackend);
