/**
 * The check of the fused-kernel tests (views, concatenates): a program jitted on wasm against
 * its eager kernels bit for bit, jitted on ref (its simplified program run equation by equation)
 * and on webgpu (when an adapter is found) against ref.
 * @module
 */
import assert from "node:assert/strict";
import { type Array, ConcreteArray, initWebGPU, jit } from "../../mod.ts";
import { stream } from "./arbitraries.ts";

/** A program of one array. */
export type Fn = (x: Array) => Array;

/** Whether a WebGPU adapter was found (the webgpu half of `checkFused` runs only then). */
export const gpu: boolean = Boolean(await initWebGPU());

/** An array of `shape` with data in [-1, 1) from `seed`, on `backend`. */
export function seeded(
  shape: readonly number[],
  seed: number,
  dtype: string,
  backend: string,
): Array {
  const next = stream(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Float64Array.from({ length: n }, () => next() * 2 - 1);
  const typed = dtype === "float32" ? Float32Array.from(data) : data;
  return ConcreteArray.fromHost(typed, shape, dtype as "float32", backend);
}

/** The bytes of an array's data. */
export function bitsOf(x: Array): Uint8Array {
  const d = (x as ConcreteArray).dataSync() as Float32Array | Float64Array;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/**
 * Checks `f` on `x` (host data): wasm jit against wasm eager bit for bit (`exact`; else within
 * float32 rounding, for a sum whose terms the fused loop adds in another order), ref jit against
 * ref eager, webgpu jit against ref.
 */
export async function checkFused(f: Fn, x: Array, what: string, exact = true): Promise<void> {
  const data = (x as ConcreteArray).dataSync();
  const on = (backend: string) => ConcreteArray.fromHost(data, x.shape, x.dtype, backend);
  const eager = f(on("wasm"));
  const jitted = jit(f, { backend: "wasm", compile: "sync" })(on("wasm"));
  assert.deepEqual(jitted.shape, eager.shape, what);
  if (exact) {
    const [a, b] = [bitsOf(jitted), bitsOf(eager)];
    const i = a.findIndex((v, k) => v !== b[k]);
    assert.ok(i < 0, `${what}: wasm jit differs from eager at byte ${i}`);
  } else {
    const [a, b] = [jitted, eager].map((y) => (y as ConcreteArray).dataSync());
    const i = a.findIndex((v, k) => !(Math.abs(v - b[k]) <= 1e-6 * (1 + Math.abs(b[k]))));
    assert.ok(i < 0, `${what}: wasm jit element ${i} is ${a[i]}, eager ${b[i]}`);
  }
  // Jitted on ref, the simplified program runs equation by equation, as every backend runs it
  // while its kernels compile.
  const want = (f(on("ref")) as ConcreteArray).dataSync();
  const byEquation = (jit(f, { backend: "ref" })(on("ref")) as ConcreteArray).dataSync();
  const k = want.findIndex((v: number, i: number) => !(Math.abs(v - byEquation[i]) <= 1e-12));
  assert.ok(k < 0, `${what}: ref jit element ${k} is ${byEquation[k]}, eager ${want[k]}`);
  if (!gpu || x.dtype !== "float32") return;
  const got = await (jit(f, { backend: "webgpu", compile: "sync" })(on("webgpu")) as ConcreteArray)
    .read();
  const j = got.findIndex((v: number, k: number) => !(Math.abs(v - want[k]) <= 1e-5));
  assert.ok(j < 0, `${what}: webgpu element ${j} is ${got[j]}, ref ${want[j]}`);
}
