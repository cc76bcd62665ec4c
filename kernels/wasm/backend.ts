/**
 * The wasm backend: arrays live in one WebAssembly linear memory and primitives run on the
 * prebuilt AssemblyScript SIMD kernels (kernels/assembly, embedded in prebuilt.ts). `execute`
 * looks the primitive up in a rule table with an entry for every kernel primitive: a wasm
 * kernel, or an explicit `refFallback` (the reference kernel on copies, see fallback.ts).
 * Importing this module registers the backend as `"wasm"`; select it with
 * `setDefaultBackend("wasm")` or per array with `ConcreteArray.fromHost`.
 * @module
 */
import type { ShapedArray } from "../../core/aval.ts";
import {
  type Backend,
  checkHostData,
  type DeviceBuffer,
  registerBackend,
} from "../../core/backend.ts";
import type { TypedArray } from "../../core/dtype.ts";
import { AdjointError } from "../../core/errors.ts";
import type { Params } from "../../core/primitive.ts";
import { isKernelPrimitiveName, type KernelPrimitiveName } from "../../core/primitives/registry.ts";
import { isNative, mapRules, refFallback } from "../rule_table.ts";
import { nextTask } from "../../core/tasks.ts";
import { contractionRules } from "./contraction.ts";
import { elementwiseRules } from "./elementwise.ts";
import { viaRef } from "./fallback.ts";
import { indexingRules } from "./indexing.ts";
import { linalgRules } from "./linalg.ts";
import { describeForWasm, wasmExecutable } from "./jit_executor.ts";
import type { Jaxpr } from "../../core/jaxpr.ts";
import type { MemoryStats, WasmBuffer } from "./memory.ts";
import { reductionRules } from "./reductions.ts";
import type { WasmRule, WasmRuleTable } from "./rule.ts";
import { wasmRuntime } from "./runtime.ts";
import { structuralRules } from "./structural.ts";

/** How the wasm backend runs every kernel primitive. */
export const wasmRules: WasmRuleTable = {
  ...elementwiseRules,
  ...structuralRules,
  ...reductionRules,
  ...contractionRules,
  ...indexingRules,
  ...linalgRules,
  sort: refFallback("sort has no wasm kernel"),
};

/** Each table entry as a rule to call: fallbacks through the reference kernel, refusals throw. */
const runnable: Record<KernelPrimitiveName, WasmRule> = mapRules(
  wasmRules,
  (entry, name): WasmRule => {
    if (isNative(entry)) return entry as WasmRule;
    if (entry.kind === "refFallback") return viaRef(name);
    return () => {
      throw new AdjointError(name, entry.reason);
    };
  },
);

/** The rule for `name`, a kernel primitive. */
function ruleFor(name: string): WasmRule {
  if (!isKernelPrimitiveName(name)) throw new AdjointError(name, "no kernel on the wasm backend");
  return runnable[name];
}

/** The wasm backend instance. */
export const wasmBackend: Backend = {
  name: "wasm",
  fromHost(data: TypedArray, aval: ShapedArray): DeviceBuffer {
    checkHostData("wasm", data, aval);
    return wasmRuntime().fromHost(data, aval.dtype);
  },
  readSync(buffer: DeviceBuffer, aval: ShapedArray): TypedArray {
    return wasmRuntime().toHost(buffer as WasmBuffer, aval.dtype, aval.size);
  },
  /**
   * Copies the data out, then yields to the event loop once before resolving: garbage-collected
   * arrays release their wasm memory in FinalizationRegistry callbacks, which run only between
   * tasks, so a loop that awaits a read per step keeps its memory bounded.
   */
  async read(buffer: DeviceBuffer, aval: ShapedArray): Promise<TypedArray> {
    const data = wasmRuntime().toHost(buffer as WasmBuffer, aval.dtype, aval.size);
    await nextTask();
    return data;
  },
  execute(
    prim: string,
    inputs: DeviceBuffer[],
    inAvals: ShapedArray[],
    params: Params,
    outAvals: ShapedArray[],
  ): DeviceBuffer[] {
    return ruleFor(prim)(wasmRuntime(), inputs as WasmBuffer[], inAvals, params, outAvals);
  },
  dispose(buffer: DeviceBuffer): void {
    wasmRuntime().dispose(buffer as WasmBuffer);
  },
  compile(jaxpr: Jaxpr, { sync }: { sync: boolean }) {
    return wasmExecutable(jaxpr, wasmBackend, wasmRuntime(), sync ? "sync" : "async");
  },
  describe: describeForWasm,
};

/**
 * Memory usage of the wasm backend (bytes of linear memory, live and free blocks, the peak of
 * live bytes); with `resetPeak`, a new peak starts after this reading.
 */
export function wasmMemoryStats({ resetPeak = false }: { resetPeak?: boolean } = {}): MemoryStats {
  const rt = wasmRuntime();
  const stats = rt.stats();
  if (resetPeak) rt.heap.resetPeak();
  return stats;
}

registerBackend(wasmBackend);
