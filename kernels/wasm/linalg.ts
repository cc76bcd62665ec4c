/**
 * The wasm backend's linear-algebra rules: cholesky, triangular_solve, lu, qr, eigh and svd
 * have no wasm kernel of their own; each runs its reference kernel (float64 accumulation) on
 * copies of its inputs, listed here rather than left to the backend's catch-all fallback.
 * @module
 */
import { LINALG_PRIMITIVES } from "../ref/linalg/mod.ts";
import { viaRef } from "./fallback.ts";
import type { WasmRule } from "./rule.ts";

/** Rules of the linear-algebra primitives: their reference kernels. */
export const linalgRules: Record<string, WasmRule> = Object.fromEntries(
  LINALG_PRIMITIVES.map((name) => [name, viaRef(name)]),
);
