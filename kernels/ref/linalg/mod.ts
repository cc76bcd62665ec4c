/**
 * The reference backend's linear-algebra kernels (cholesky, triangular_solve, lu, qr, eigh,
 * svd), registered with it when this module is imported. The wasm backend runs these same
 * kernels on copies (kernels/wasm/linalg.ts).
 * @module
 */
import { registerRefImpls } from "../backend.ts";
import { cholesky } from "./cholesky.ts";
import { eigh } from "./eigh.ts";
import { lu } from "./lu.ts";
import { qr } from "./qr.ts";
import { svd } from "./svd.ts";
import { triangularSolve } from "./triangular_solve.ts";

/** The primitive names these kernels implement. */
export const LINALG_PRIMITIVES: readonly string[] = [
  "cholesky",
  "triangular_solve",
  "lu",
  "qr",
  "eigh",
  "svd",
];

registerRefImpls({ cholesky, triangular_solve: triangularSolve, lu, qr, eigh, svd });
