/**
 * The registry of kernel primitives: every primitive a backend executes, by name, with the type
 * of its params. Primitives with a composite `impl` (stop_gradient, custom_lin, and the control
 * primitives of core/control/) run as other primitives and are not listed. Each backend's rule
 * table is typed as exhaustive over these names (kernels/rule_table.ts), so a primitive added
 * here without a rule on some backend is a compile error until it gets one, or an explicit
 * fallback or refusal.
 *
 * ```ts
 * import { KERNEL_PRIMITIVES } from "./registry.ts";
 * console.log(KERNEL_PRIMITIVES.add.properties.commutative); // true
 * ```
 * @module
 */
import type { NoParams, Primitive } from "../primitive.ts";
import {
  bitcastConvertTypeP,
  shiftLeftP,
  shiftRightArithmeticP,
  shiftRightLogicalP,
  xorP,
} from "./bits.ts";
import { dotGeneralP, type DotGeneralParams } from "./dot_general.ts";
import {
  type BinaryElementwiseName,
  convertP,
  type ConvertParams,
  ELEMENTWISE_OPS,
  selectNP,
  type UnaryElementwiseName,
} from "./elementwise.ts";
import { type AxisParams, scatterAddP, type ScatterAddParams, takeP } from "./indexing.ts";
import { choleskyP } from "./linalg/cholesky.ts";
import { eighP } from "./linalg/eigh.ts";
import { luP } from "./linalg/lu.ts";
import { qrP, type QrParams } from "./linalg/qr.ts";
import { svdP, type SvdParams } from "./linalg/svd.ts";
import { triangularSolveP, type TriangularSolveParams } from "./linalg/triangular_solve.ts";
import {
  patchesP,
  type PatchesParams,
  patchesTransposeP,
  type PatchesTransposeParams,
} from "./patches.ts";
import {
  argmaxP,
  argminP,
  type ArgReduceParams,
  reduceMaxP,
  reduceMinP,
  type ReduceParams,
  reduceProdP,
  reduceSumP,
} from "./reductions.ts";
import { scatterMaxP, scatterMinP, scatterMulP, scatterP } from "./scatter.ts";
import { sortP, type SortParams } from "./sort.ts";
import {
  broadcastInDimP,
  type BroadcastInDimParams,
  concatenateP,
  type ConcatenateParams,
  padP,
  type PadParams,
  reshapeP,
  type ReshapeParams,
  revP,
  type RevParams,
  sliceP,
  type SliceParams,
  transposeP,
  type TransposeParams,
} from "./structural.ts";
import { threefry2x32P } from "./threefry.ts";

/** The params type of every kernel primitive, by name. */
export type KernelPrimitiveParams =
  & Record<
    | UnaryElementwiseName
    | BinaryElementwiseName
    | "select_n"
    | "xor"
    | "shift_left"
    | "shift_right_logical"
    | "shift_right_arithmetic"
    | "threefry2x32"
    | "cholesky"
    | "lu"
    | "eigh",
    NoParams
  >
  & {
    convert_element_type: ConvertParams;
    bitcast_convert_type: ConvertParams;
    broadcast_in_dim: BroadcastInDimParams;
    reshape: ReshapeParams;
    transpose: TransposeParams;
    concatenate: ConcatenateParams;
    pad: PadParams;
    slice: SliceParams;
    rev: RevParams;
    reduce_sum: ReduceParams;
    reduce_prod: ReduceParams;
    reduce_max: ReduceParams;
    reduce_min: ReduceParams;
    argmax: ArgReduceParams;
    argmin: ArgReduceParams;
    dot_general: DotGeneralParams;
    patches: PatchesParams;
    patches_transpose: PatchesTransposeParams;
    take: AxisParams;
    scatter_add: ScatterAddParams;
    scatter: AxisParams;
    scatter_mul: AxisParams;
    scatter_min: AxisParams;
    scatter_max: AxisParams;
    sort: SortParams;
    triangular_solve: TriangularSolveParams;
    qr: QrParams;
    svd: SvdParams;
  };

/** The name of a primitive that backends execute. */
export type KernelPrimitiveName = keyof KernelPrimitiveParams;

/** The kernel primitive named `N`, with its params type. */
export type KernelPrimitive<N extends KernelPrimitiveName = KernelPrimitiveName> = Primitive<
  N,
  KernelPrimitiveParams[N]
>;

/** Every kernel primitive, by name. */
export const KERNEL_PRIMITIVES: { readonly [N in KernelPrimitiveName]: KernelPrimitive<N> } = {
  ...ELEMENTWISE_OPS,
  select_n: selectNP,
  convert_element_type: convertP,
  xor: xorP,
  shift_left: shiftLeftP,
  shift_right_logical: shiftRightLogicalP,
  shift_right_arithmetic: shiftRightArithmeticP,
  bitcast_convert_type: bitcastConvertTypeP,
  threefry2x32: threefry2x32P,
  broadcast_in_dim: broadcastInDimP,
  reshape: reshapeP,
  transpose: transposeP,
  concatenate: concatenateP,
  pad: padP,
  slice: sliceP,
  rev: revP,
  reduce_sum: reduceSumP,
  reduce_prod: reduceProdP,
  reduce_max: reduceMaxP,
  reduce_min: reduceMinP,
  argmax: argmaxP,
  argmin: argminP,
  dot_general: dotGeneralP,
  patches: patchesP,
  patches_transpose: patchesTransposeP,
  take: takeP,
  scatter_add: scatterAddP,
  scatter: scatterP,
  scatter_mul: scatterMulP,
  scatter_min: scatterMinP,
  scatter_max: scatterMaxP,
  sort: sortP,
  cholesky: choleskyP,
  triangular_solve: triangularSolveP,
  lu: luP,
  qr: qrP,
  eigh: eighP,
  svd: svdP,
};

/** The names of every kernel primitive, in the registry's order. */
export const KERNEL_PRIMITIVE_NAMES: readonly KernelPrimitiveName[] = Object.keys(
  KERNEL_PRIMITIVES,
) as KernelPrimitiveName[];

/** Whether `name` names a kernel primitive. */
export function isKernelPrimitiveName(name: string): name is KernelPrimitiveName {
  return Object.hasOwn(KERNEL_PRIMITIVES, name);
}
