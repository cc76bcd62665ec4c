/**
 * WGSL building blocks shared by every kernel template: how each dtype is stored, literals,
 * buffer declarations, run-time kernel parameters and the 1-d launch grid.
 *
 * WGSL has no 64-bit floats and no 8-bit storage, so float32 is `f32`, int32 is `i32` and bool is
 * stored as `u32` (0 or 1); float64 is refused with an error naming the operation.
 *
 * Sizes, strides and offsets are not baked into the source: a template emits reads of a small
 * parameter buffer (`p[0]`, `p[1]`, ...) and only the structure (primitive, dtypes, ranks) shapes
 * the text. So one compiled pipeline serves every shape of the same structure, and eager code
 * whose shapes vary does not wait for a shader compile per shape.
 * @module
 */
import type { DType } from "../../core/dtype.ts";
import { AdjointError } from "../../core/errors.ts";

/** The dtypes a WebGPU buffer can hold. */
export type GpuDType = "float32" | "int32" | "bool";

/** WGSL scalar type that stores each dtype. */
export const SCALAR: Record<GpuDType, string> = { float32: "f32", int32: "i32", bool: "u32" };

/** Bytes per element in a WebGPU buffer (all stored dtypes are 32-bit). */
export const ELEMENT_BYTES = 4;

/** Invocations per workgroup of the 1-d kernels. */
export const WORKGROUP = 256;

/** WebGPU's guaranteed maximum number of workgroups along one dispatch dimension. */
export const MAX_GROUPS = 65535;

/** Checks that `dtype` can live on the GPU, naming `op` otherwise. */
export function gpuDType(op: string, dtype: DType): GpuDType {
  if (dtype === "float64") {
    throw new AdjointError(
      op,
      "float64 is not available on the webgpu backend (WGSL has no 64-bit floats); " +
        "convert to float32 first, or run float64 code on the ref backend",
    );
  }
  return dtype;
}

/** A WGSL expression for the constant `value` of `dtype` (infinities and NaN via bit patterns). */
export function literal(value: number, dtype: GpuDType): string {
  if (dtype === "bool") return value ? "1u" : "0u";
  if (dtype === "int32") return `bitcast<i32>(${(value | 0) >>> 0}u)`;
  const f = Math.fround(value);
  if (!Number.isFinite(f)) {
    const bits = Number.isNaN(f) ? 0x7fc00000 : f > 0 ? 0x7f800000 : 0xff800000;
    return `bitcast<f32>(0x${bits.toString(16)}u)`;
  }
  if (Object.is(f, -0)) return "(-0.0f)";
  return f < 0 ? `(${f}f)` : `${f}f`;
}

/** Storage buffer declaration at `binding`: read-only inputs, read-write outputs. */
export function buffer(binding: number, name: string, dtype: GpuDType, write = false): string {
  const access = write ? "read_write" : "read";
  return `@group(0) @binding(${binding}) var<storage, ${access}> ${name}: array<${SCALAR[dtype]}>;`;
}

const f32Bits = new Float32Array(1);
const i32OfF32 = new Int32Array(f32Bits.buffer);

/**
 * The run-time parameters of one launch. Each method records a value and returns the WGSL
 * expression that reads it from the parameter buffer `p`, bound after the kernel's buffers.
 */
export class KernelParams {
  /** The recorded values, as i32 words. */
  readonly values: number[] = [];
  /** An i32 parameter. */
  int(v: number): string {
    this.values.push(v | 0);
    return `p[${this.values.length - 1}]`;
  }
  /** A u32 parameter (sizes and counts). */
  uint(v: number): string {
    return `u32(${this.int(v)})`;
  }
  /** A parameter holding the constant `v` of `dtype`. */
  scalar(v: number, dtype: GpuDType): string {
    if (dtype === "int32") return this.int(v);
    if (dtype === "bool") return this.uint(v ? 1 : 0);
    f32Bits[0] = v;
    return `bitcast<f32>(${this.int(i32OfF32[0])})`;
  }
  /** The declaration of `p` at `binding` (nothing when there are no parameters). */
  declare(binding: number): string {
    return this.values.length
      ? `@group(0) @binding(${binding}) var<storage, read> p: array<i32>;`
      : "";
  }
}

/** A dispatch of one invocation per element, in workgroups of 256, folded into 2-d past 65535. */
export interface Grid {
  /** Workgroup counts for `dispatchWorkgroups`. */
  groups: [number, number, number];
  /** The `main` header and the guard that defines `i`, the flat invocation index. */
  prologue: string;
}

/** The launch grid of a kernel with `threads` invocations (the count is a parameter). */
export function grid(threads: number, p: KernelParams): Grid {
  const total = Math.ceil(threads / WORKGROUP);
  const x = Math.min(total, MAX_GROUPS);
  const y = Math.ceil(total / MAX_GROUPS);
  if (y > MAX_GROUPS) {
    throw new AdjointError("webgpu", `${threads} elements exceed the largest supported dispatch`);
  }
  const prologue = `@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * ${WORKGROUP}u;
  if (i >= ${p.uint(threads)}) { return; }`;
  return { groups: [x, y, 1], prologue };
}
