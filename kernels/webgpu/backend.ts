/**
 * The WebGPU backend: arrays live in GPU buffers and each primitive runs as one or a few WGSL
 * compute kernels, generated from templates per primitive, dtypes and ranks (sizes, strides and
 * other static parameters are passed at launch) and cached as pipelines. Launches are batched
 * into one command buffer until a result is read.
 *
 * Reading is asynchronous (`await x.read()`): `readSync` only answers for small arrays created
 * from host data, whose contents are kept on the host too; that lets scalars created by
 * `x.mul(2)` or captured by `jit` be inlined as literals as on the other backends.
 *
 * `jit` compiles programs on this backend (compile/executor.ts): elementwise chains and their
 * final reductions become generated WGSL kernels, other primitives run on these rules, and
 * intermediates live in one arena per program, so a warm call allocates only its outputs.
 *
 * ```ts
 * import { initWebGPU } from "./init.ts";
 * import { setDefaultBackend } from "../../core/backend.ts";
 * if (await initWebGPU()) setDefaultBackend("webgpu");
 * ```
 * @module
 */
import type { ShapedArray } from "../../core/aval.ts";
import { type Backend, checkHostData, type DeviceBuffer } from "../../core/backend.ts";
import type { TypedArray } from "../../core/dtype.ts";
import { AdjointError } from "../../core/errors.ts";
import type { Params } from "../../core/primitive.ts";
import { isKernelPrimitiveName } from "../../core/primitives/registry.ts";
import { isNative, unsupported } from "../rule_table.ts";
import { settleChecks } from "../lowering/check_program.ts";
import { describeForWebGPU, webgpuExecutable } from "./compile/executor.ts";
import { contractionRules } from "./dot_general.ts";
import { elementwiseRules } from "./elementwise.ts";
import { indexingRules } from "./indexing.ts";
import { patchesRules } from "./patches.ts";
import { reductionRules } from "./reduction.ts";
import { sortRules } from "./sort.ts";
import type { GpuRule, GpuRuleTable } from "./rule.ts";
import { type GpuRuntime, wholeBuffer } from "./runtime.ts";
import { structuralRules } from "./structural.ts";
import { ELEMENT_BYTES, gpuDType } from "./wgsl.ts";

/** Arrays up to this many elements created from host data keep a host copy for `readSync`. */
const HOST_COPY_LIMIT = 1;

/** One array's storage on the GPU. */
export class GpuStorage {
  /** The GPU buffer (pooled; may be larger than the array). */
  buffer: GPUBuffer | null;
  /** Wraps a pooled buffer and, for small host-created arrays, their host contents. */
  constructor(buffer: GPUBuffer, readonly host?: TypedArray) {
    this.buffer = buffer;
  }
}

const DECOMPOSITION = unsupported(
  "matrix decompositions have no webgpu kernel; they run on the ref and wasm backends " +
    '(move the operands there with toBackend(x, "wasm"))',
);

/** How the WebGPU backend runs every kernel primitive. */
export const webgpuRules: GpuRuleTable = {
  ...elementwiseRules,
  ...structuralRules,
  ...reductionRules,
  ...contractionRules,
  ...patchesRules,
  ...indexingRules,
  ...sortRules,
  cholesky: DECOMPOSITION,
  triangular_solve: DECOMPOSITION,
  lu: DECOMPOSITION,
  qr: DECOMPOSITION,
  eigh: DECOMPOSITION,
  svd: DECOMPOSITION,
};

function ruleFor(prim: string): GpuRule {
  if (!isKernelPrimitiveName(prim)) throw new AdjointError(prim, "no kernel on the webgpu backend");
  const entry = webgpuRules[prim];
  if (isNative(entry)) return entry as GpuRule;
  throw new AdjointError(prim, entry.reason);
}

function live(op: string, b: DeviceBuffer): GPUBuffer {
  const buf = (b as GpuStorage).buffer;
  if (!buf) throw new AdjointError(op, "this webgpu array was disposed and can no longer be used");
  return buf;
}

/** Host data as 32-bit words: bools widen from bytes to u32. */
function toWords(data: TypedArray, aval: ShapedArray): Float32Array | Int32Array | Uint32Array {
  if (aval.dtype === "bool") return Uint32Array.from(data as Uint8Array);
  if (aval.dtype === "int32") return data as Int32Array;
  return data as Float32Array;
}

/** 32-bit words read back, in the dtype's host representation. */
function fromWords(bytes: ArrayBuffer, aval: ShapedArray): TypedArray {
  if (aval.dtype === "bool") return Uint8Array.from(new Uint32Array(bytes));
  if (aval.dtype === "int32") return new Int32Array(bytes);
  return new Float32Array(bytes);
}

/** Builds the backend object over a runtime. */
export function createWebGPUBackend(rt: GpuRuntime): Backend {
  const readStorage = async (b: DeviceBuffer, aval: ShapedArray) =>
    fromWords(await rt.read(live("read", b), aval.size * ELEMENT_BYTES), aval);
  const backend: Backend = {
    name: "webgpu",
    fromHost(data: TypedArray, aval: ShapedArray): GpuStorage {
      gpuDType("array creation", aval.dtype);
      checkHostData("webgpu", data, aval);
      const buf = rt.alloc(aval.size * ELEMENT_BYTES);
      rt.write(buf, toWords(data, aval) as ArrayBufferView<ArrayBuffer>);
      return new GpuStorage(buf, aval.size <= HOST_COPY_LIMIT ? data.slice() : undefined);
    },
    readSync: (b) => (b as GpuStorage).host,
    async read(b, aval) {
      const checks = settleChecks();
      if (checks) await checks;
      return readStorage(b, aval);
    },
    execute(prim: string, inputs, inAvals: ShapedArray[], params: Params, outAvals: ShapedArray[]) {
      const rule = ruleFor(prim);
      for (const a of [...inAvals, ...outAvals]) gpuDType(prim, a.dtype);
      const bufs = inputs.map((b) => live(prim, b));
      return rule(rt, bufs, inAvals, params, outAvals).map((b) =>
        new GpuStorage(wholeBuffer(prim, b))
      );
    },
    dispose(b) {
      const g = b as GpuStorage;
      if (g.buffer) rt.release(g.buffer);
      g.buffer = null;
    },
    compile: (jaxpr) => webgpuExecutable(jaxpr, context),
    describe: (jaxpr) => describeForWebGPU(jaxpr, rt),
  };
  const context = {
    rt,
    read: readStorage,
    backend,
    ruleFor,
    bufferOf: live,
    storage: (buffer: GPUBuffer) => new GpuStorage(buffer),
  };
  return backend;
}
