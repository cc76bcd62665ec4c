/**
 * Backend coverage: for each kernel primitive, whether a backend runs it with its own kernel,
 * through the reference kernel on copies, or not at all, read from the backends' rule tables.
 * @module
 */
import { AdjointError } from "../core/errors.ts";
import { KERNEL_PRIMITIVE_NAMES, type KernelPrimitiveName } from "../core/primitives/registry.ts";
import { refKernels } from "./ref/backend.ts";
import { type Coverage, coverageOf, type RuleEntry } from "./rule_table.ts";
import { wasmRules } from "./wasm/backend.ts";
import { webgpuRules } from "./webgpu/backend.ts";

/** How one backend runs each kernel primitive. */
export type CoverageReport = Readonly<Record<KernelPrimitiveName, Coverage>>;

const TABLES: Readonly<Record<string, Readonly<Record<KernelPrimitiveName, RuleEntry<unknown>>>>> =
  { ref: refKernels, wasm: wasmRules, webgpu: webgpuRules };

/**
 * For each kernel primitive (by name), how backend `backendName` (`"ref"`, `"wasm"` or
 * `"webgpu"`) runs it: `"native"` (its own kernel), `"refFallback"` (the reference kernel on
 * copies of the inputs) or `"unsupported"` (it throws, saying where to run it instead). The
 * WebGPU report needs no GPU.
 *
 * ```ts
 * import { backendCoverage } from "../mod.ts";
 * const wasm = backendCoverage("wasm");
 * console.log(wasm.add, wasm.sort); // "native" "refFallback"
 * ```
 */
export function backendCoverage(backendName: string): CoverageReport {
  const table = TABLES[backendName];
  if (!table) {
    throw new AdjointError(
      "backendCoverage",
      `no backend named ${JSON.stringify(backendName)}; expected one of ${
        Object.keys(TABLES).join(", ")
      }`,
    );
  }
  return Object.fromEntries(
    KERNEL_PRIMITIVE_NAMES.map((name) => [name, coverageOf(table[name])]),
  ) as Record<KernelPrimitiveName, Coverage>;
}
