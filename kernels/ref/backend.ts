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
import { isKernelPrimitiveName } from "../../core/primitives/registry.ts";
import { bitsImpls } from "./bits.ts";
import { contractionImpls } from "./contraction.ts";
import { elementwiseImpls } from "./elementwise.ts";
import type { RefImpl, RefKernelTable } from "./impl.ts";
import { linalgImpls } from "./linalg/mod.ts";
import { scatterImpls } from "./scatter.ts";
import { sortImpls } from "./sort.ts";
import { structuralImpls } from "./structural.ts";

/** The reference kernel of every kernel primitive. */
export const refKernels: RefKernelTable = {
  ...elementwiseImpls,
  ...structuralImpls,
  ...contractionImpls,
  ...scatterImpls,
  ...bitsImpls,
  ...sortImpls,
  ...linalgImpls,
};

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
    if (!isKernelPrimitiveName(prim)) throw new AdjointError(prim, "no kernel on the ref backend");
    const impl = refKernels[prim] as RefImpl;
    return impl(inputs as TypedArray[], inAvals, params, outAvals);
  },
};

registerBackend(refBackend);
