/**
 * Jit-generated modules are compiled at one address for static data, and each instantiation
 * writes its data segments there. That is safe only while every module's static data is the same
 * bytes, whatever math its kernels use: since all math is IR (math_definitions.ts), none at all.
 */
import assert from "node:assert/strict";
import { jit, numpy as np } from "../mod.ts";
import { COMPILE_OPTIONS, compileSync } from "../kernels/wasm/compiler.ts";
import { lowerForWasm } from "../kernels/wasm/jit_executor.ts";

const BASE = 65536;

/** The static data bytes of the module compiled from `source`, instantiated on fresh memory. */
function staticData(source: string): Uint8Array {
  const binary = compileSync(source, { memoryBase: BASE, use: ["abort="] });
  assert.ok(COMPILE_OPTIONS.importMemory, "jit modules import their memory");
  const memory = new WebAssembly.Memory({ initial: 4, maximum: 65536 });
  const module = new WebAssembly.Module(binary as BufferSource);
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const top = (exports.heap_base as () => number)();
  return new Uint8Array(memory.buffer.slice(BASE, top));
}

Deno.test("no jit module has static data, whatever math it uses", () => {
  const x32 = np.array([0.5, 1.5, 2.5, 3.5]);
  const x64 = np.astype(x32, "float64");
  const programs: [(x: np.Array) => np.Array, np.Array][] = [
    [(x) => np.exp(x).add(1), x32],
    [(x) => np.log1p(np.sin(x.mul(1e4))), x32],
    [(x) => np.power(x, 2.5).mul(np.tanh(x)), x64],
    [(x) => np.erf(x).sub(np.sigmoid(x)), x64],
    [(x) => np.arctan2(x, 2).add(np.fmod(x, 0.3)), x64],
    [(x) => np.arctan2(x, 2).add(np.fmod(x, 0.3)), x32],
    [(x) => x.mul(3).add(1), x32],
  ];
  const data = programs.map(([f, x]) => staticData(lowerForWasm(jit(f).lower(x).jaxpr).source));
  assert.equal(data[0].length, 0, `no static data (${data[0].length} bytes)`);
  data.forEach((d, i) => assert.deepEqual(d, data[0], `program ${i} lays out its data alike`));
});
