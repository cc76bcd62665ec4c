/**
 * The prebuilt kernel module's entry: everything exported here is a wasm export that the runtime
 * in kernels/wasm calls with pointers into the one linear memory.
 */
export * from "./copies";
export * from "./elementwise";
export * from "./gemm";
export * from "./reduce";
export * from "./reductions";
export * from "./take_scatter";

/** First free byte after the module's static data: where the runtime's heap starts. */
export function heap_base(): usize {
  return __heap_base;
}
