/**
 * The wasm backend's linear-algebra entries: cholesky, triangular_solve, lu, qr, eigh and svd
 * have no wasm kernel of their own; each runs its reference kernel (float64 accumulation) on
 * copies of its inputs, as an explicit fallback.
 * @module
 */
import type { LinalgPrimitiveName } from "../ref/linalg/mod.ts";
import { refFallback } from "../rule_table.ts";
import type { WasmRuleTable } from "./rule.ts";

const DECOMPOSITION = refFallback("matrix decompositions have no wasm kernel");

/** Entries of the linear-algebra primitives: their reference kernels, on copies. */
export const linalgRules: Pick<WasmRuleTable, LinalgPrimitiveName> = {
  cholesky: DECOMPOSITION,
  triangular_solve: DECOMPOSITION,
  lu: DECOMPOSITION,
  qr: DECOMPOSITION,
  eigh: DECOMPOSITION,
  svd: DECOMPOSITION,
};
