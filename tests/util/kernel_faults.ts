/**
 * Faults injected where compiled code runs, for the tests of `jit(f, { check: true })` and
 * `config.debugNans`: a fused wasm kernel wrapped to write a wrong value after it runs, through
 * the module exports that `WebAssembly.Instance` hands the jit executor.
 * @module
 */
import { wasmRuntime } from "../../kernels/wasm/runtime.ts";

/** One kernel line of `programToString`: `k2 fused(v5) -> (v7,v8): ...`. */
export interface KernelLine {
  line: string;
  name: string;
  kind: string;
  inputs: string[];
  outputs: string[];
}

/** The kernels of a program as `programToString` prints it. */
export function kernelLines(program: string): KernelLine[] {
  return program.split("\n").map((line) => {
    const m = line.match(/^(k\d+) (\w+)\(([^)]*)\) -> \(([^)]*)\)/)!;
    const list = (s: string) => (s ? s.split(",") : []);
    return { line, name: m[1], kind: m[2], inputs: list(m[3]), outputs: list(m[4]) };
  });
}

/** `s` as a regular expression matching it literally. */
export const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Runs `fn` while the wasm modules instantiated in it call `hooks[name](args)` after their export
 * `name` returns. A fused kernel's arguments are the addresses of its inputs, then of its
 * outputs, then the range of its outermost axis.
 */
export function withKernelHooks<T>(
  hooks: Record<string, (args: number[]) => void>,
  fn: () => T,
): T {
  wasmRuntime(); // instantiated before the hooks go in
  const original = WebAssembly.Instance;
  WebAssembly.Instance = new Proxy(original, {
    construct(target, args) {
      const instance = Reflect.construct(target, args) as WebAssembly.Instance;
      const exports = Object.fromEntries(
        Object.entries(instance.exports).map(([name, f]) => {
          const hook = hooks[name];
          if (!hook || typeof f !== "function") return [name, f];
          return [name, (...a: number[]) => {
            const result = f(...a);
            hook(a);
            return result;
          }];
        }),
      );
      return { exports };
    },
  });
  try {
    return fn();
  } finally {
    WebAssembly.Instance = original;
  }
}

/** Writes float32 `value` at element `i` of the wasm memory at address `ptr`. */
export function poke(ptr: number, i: number, value: number): void {
  new Float32Array(wasmRuntime().heap.memory.buffer, ptr, i + 1)[i] = value;
}
