/**
 * The prebuilt eager strided copies rendered from the kernel IR: the one-op copy kernel
 * (kernels/lowering/one_op_copy.ts) of each element size (1, 4 and 8 bytes, moved as bool,
 * int32 and float64 elements, whose loads and stores keep every bit) and the accumulating one
 * of float32, float64 and int32, at ranks 3 to 6 (`COPY_RANKS`), each in every loop shape, and
 * the fill of each dtype (kernels/lowering/one_op_fill.ts), rendered by the jit code generator.
 * `deno task build:kernels` writes the source to kernels/assembly/copies.ts. Each copy export,
 * named `copy_size_shape[_rN]` (`copy_4_contiguous`, `copy_1_strided_r5`) or
 * `accumulate_suffix_shape[_rN]` (`accumulate_f64_splat_r4`), takes the source's address,
 * the destination's (accumulating: read and written in place), a range `[lo, hi)` of the
 * outermost axis, the sizes `n1, ..`, then the strides in elements (see `oneOpCopy`); each fill,
 * `fill_suffix`, the destination's address, a range of elements and the value.
 * Every eager strided copy, accumulation and fill runs one of them (kernels/wasm/strided.ts).
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

/** The loop shapes rendered at each rank. */
const SHAPES: readonly CopyShape[] = ["contiguous", "short", "splat", "strided"];

/**
 * The loop shape of a copy (`accumulate`: an addition) of `bytes`-byte elements with innermost
 * strides `src` and `dst` and rows of `n`. Contiguous rows of 17-32 bytes run the `short` shape
 * (two overlapping v128 steps), except accumulations' rows of 5 to 7 elements of 4 bytes, whose
 * overlapping steps read what the last row's wrote at another alignment, which defeats store
 * forwarding (patches_transpose of 5-wide float32 windows: the stepped scalar row 0.73x the
 * hand-written overlapping vectors). Other rows shorter than 8 run the `strided` shape whatever
 * their strides: it steps each address along a row, where a vector shape's scalar remainder
 * costs more than its fours save (float64 rows of 5: overlapping fours 1.23x slower).
 */
export function copyShape(
  src: number,
  dst: number,
  n: number,
  bytes: number,
  accumulate: boolean,
): CopyShape {
  const per = bytes === 8 ? 2 : 4, contiguous = src === 1 && dst === 1;
  const short = n > per && n <= 2 * per && (bytes === 8 || !accumulate || n === 2 * per);
  if (contiguous && short) return "short";
  if (dst !== 1 || n < 8) return "strided";
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
