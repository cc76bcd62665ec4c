/**
 * The prebuilt eager strided copies rendered from the kernel IR: the one-op copy kernel
 * (kernels/lowering/one_op_copy.ts) of each element size (1, 4 and 8 bytes, moved as bool,
 * int32 and float64 elements, whose loads and stores keep every bit) and the accumulating one
 * of float32, float64 and int32, at ranks 3 to 6 (`COPY_RANKS`), each in every loop shape, and
 * the fill of each dtype (kernels/lowering/one_op_fill.ts), rendered by the jit code generator.
 * `deno task build:kernels` writes the source to kernels/assembly/copies.ts. Each copy export,
 * named `copy_size_shape[_rN]` (`copy_4_contiguous`, `copy_1_strided_r5`) or
 * `accumulate_suffix_shape[_rN]` (`accumulate_f64_splat_r4`), takes the source's address
 * (accumulating: then the destination's), the destination's, a range `[lo, hi)` of the
 * outermost axis, the sizes `n1, ..`, then the strides in elements (see `oneOpCopy`); each fill,
 * `fill_suffix`, the destination's address, a range of elements and the value.
 *
 * Only float64 accumulations along contiguous rows of 17-32 bytes stay hand-written
 * (kernels/assembly/copy.ts; kernels/wasm/strided.ts picks and says why).
 * @module
 */
import type { DType } from "../../core/dtype.ts";
import { type CopyShape, oneOpCopy } from "../lowering/one_op_copy.ts";
import { oneOpFill } from "../lowering/one_op_fill.ts";
import { emitFusedKernel } from "./fused_codegen.ts";
import { EAGER_REDUCTION_VECTOR, generatedModule } from "./render_assemblyscript.ts";
import { SUFFIX } from "./runtime.ts";

/** The dtype whose loads and stores move elements of each size. */
const MOVED_AS: Readonly<Record<number, DType>> = { 1: "bool", 4: "int32", 8: "float64" };

/** The dtypes filled (`fill_suffix`). */
const FILLED: readonly DType[] = ["float32", "float64", "int32", "bool"];

/** The dtypes accumulated. */
const ACCUMULATED: readonly DType[] = ["float32", "float64", "int32"];

/**
 * The ranks of the copies rendered (after merging axes, at least 3); strided.ts runs a copy of
 * a higher rank as copies of the innermost `MAX_COPY_RANK` axes.
 */
export const COPY_RANKS: readonly number[] = [3, 4, 5, 6];

/** The highest rank of a rendered copy. */
export const MAX_COPY_RANK = 6;

const SHAPES: readonly CopyShape[] = ["contiguous", "splat", "strided"];

/**
 * Rows shorter than this many elements of each size run the strided loop shape whatever their
 * strides: it steps each address along a row. Copies' rows of 5 to 8 elements of 1 or 4 bytes
 * run two overlapping fours (fused_codegen.ts `shortRow`); float64's fours are 32 bytes, and
 * accumulations' overlapping fours read what the last row's wrote at another alignment, which
 * defeats store forwarding: the stepped scalar row was faster on patches_transpose of 5-wide
 * windows (float64 overlapping fours: 1.23x slower; float32: 1.04x).
 */
const SHORT_ROW = (bytes: number, accumulate: boolean): number => accumulate || bytes === 8 ? 8 : 5;

/**
 * The loop shape of a copy (`accumulate`: an addition) of `bytes`-byte elements with innermost
 * strides `src` and `dst` and rows of `n`.
 */
export function copyShape(
  src: number,
  dst: number,
  n: number,
  bytes: number,
  accumulate: boolean,
): CopyShape {
  if (dst !== 1 || n < SHORT_ROW(bytes, accumulate)) return "strided";
  return src === 1 ? "contiguous" : src === 0 ? "splat" : "strided";
}

/**
 * The export name of the eager copy of elements of `bytes` bytes, or with `accumulate` of the
 * `+=` of `dtype`, in loop shape `shape` over `rank` axes (`_r4` beyond 3).
 */
export function copyExport(
  dtype: DType,
  bytes: number,
  accumulate: boolean,
  shape: CopyShape,
  rank = 3,
): string {
  const r = rank === 3 ? "" : `_r${rank}`;
  return accumulate ? `accumulate_${SUFFIX[dtype]}_${shape}${r}` : `copy_${bytes}_${shape}${r}`;
}

/**
 * The export name of the fill of `dtype` (kernels/lowering/one_op_fill.ts), taking the
 * destination's address, the range `[lo, hi)` of elements, then the value.
 */
export const fillExport = (dtype: DType): string => `fill_${SUFFIX[dtype]}`;

/** The AssemblyScript source of the eager strided copies and fills. */
export function renderEagerCopies(): string {
  const emit = (dtype: DType, bytes: number, accumulate: boolean, rank = 3) =>
    SHAPES.map((shape) =>
      emitFusedKernel(
        oneOpCopy(dtype, shape, accumulate, rank),
        copyExport(dtype, bytes, accumulate, shape, rank),
        { target: EAGER_REDUCTION_VECTOR },
      )
    );
  const kernels = [
    ...Object.entries(MOVED_AS).flatMap(([bytes, dtype]) =>
      COPY_RANKS.flatMap((r) => emit(dtype, Number(bytes), false, r))
    ),
    ...ACCUMULATED.flatMap((dtype) => COPY_RANKS.flatMap((r) => emit(dtype, 0, true, r))),
    ...FILLED.map((dtype) =>
      emitFusedKernel(oneOpFill(dtype), fillExport(dtype), { target: EAGER_REDUCTION_VECTOR })
    ),
  ];
  return generatedModule(kernels, "kernels/wasm/eager_copies.ts");
}
