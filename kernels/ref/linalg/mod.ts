/**
 * The reference backend's linear-algebra kernels (cholesky, triangular_solve, lu, qr, eigh,
 * svd), listed in its table. The wasm backend runs these same kernels on copies, explicitly
 * (kernels/wasm/linalg.ts); the webgpu backend refuses them.
 * @module
 */
import type { RefKernelTable } from "../impl.ts";
import { cholesky } from "./cholesky.ts";
import { eigh } from "./eigh.ts";
import { lu } from "./lu.ts";
import { qr } from "./qr.ts";
import { svd } from "./svd.ts";
import { triangularSolve } from "./triangular_solve.ts";

/** The names of the linear-algebra primitives. */
export type LinalgPrimitiveName = "cholesky" | "triangular_solve" | "lu" | "qr" | "eigh" | "svd";

/** Reference kernels of the linear-algebra primitives. */
export const linalgImpls: Pick<RefKernelTable, LinalgPrimitiveName> = {
  cholesky,
  triangular_solve: triangularSolve,
  lu,
  qr,
  eigh,
  svd,
};
