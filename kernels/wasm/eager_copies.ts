/**
 * The prebuilt eager strided copies rendered from the kernel IR: the one-op copy kernel
 * (kernels/lowering/one_op_copy.ts) of each element size (1, 4 and 8 bytes, moved as bool,
 * int32 and float64 elements, whose loads and stores keep every bit) and the accumulating one
 * of float32, float64 and int32 at ranks 3 and 4, each in every loop shape, rendered by the jit
 * code generator.
 * `deno task build:kernels` writes the source to kernels/assembly/copies.ts. Each export, named
 * `copy_size_shape` (`copy_4_contiguous`) or `accumulate_suffix_shape[_rN]`
 * (`accumulate_f32_strided`, `accumulate_f64_splat_r4`), takes the source's address (accumulating: then the destination's),
 * the destination's, a range `[lo, hi)` of the outermost axis, the sizes `n1, ..`, then the
 * strides in elements (see `oneOpCopy`).
 *
 * The fills of each dtype too (kernels/lowering/one_op_fill.ts: `fill_suffix`).
 *
 * Copies of rank above 3 after merging axes (accumulations: above 4; an odometer over the
 * outer axes), of bools, of contiguous rows of many bytes (`memory.copy`), and accumulations of
 * contiguous rows of 17-32 bytes stay hand-written (kernels/assembly/copy.ts;
 * kernels/wasm/strided.ts picks).
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

/** The ranks of the accumulating copies rendered (after merging axes). */
export const ACCUMULATE_RANKS: readonly number[] = [3, 4];

const SHAPES: readonly CopyShape[] = ["contiguous", "splat", "strided"];

/**
 * Rows shorter than this run the strided loop shape whatever their strides: it steps each
 * address along a row, where the vector shapes' scalar remainder multiplies every index.
 */
const SHORT_ROW = 8;

/** The loop shape of a copy with innermost strides `src` and `dst` and rows of `n`. */
export function copyShape(src: number, dst: number, n: number): CopyShape {
  if (dst !== 1 || n < SHORT_ROW) return "strided";
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
  return accumulate ? `accumulate_${SUFFIX[dtype]}_${shape}${r}` : `copy_${bytes}_${shape}`;
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
    ...Object.entries(MOVED_AS).flatMap(([bytes, dtype]) => emit(dtype, Number(bytes), false)),
    ...ACCUMULATED.flatMap((dtype) => ACCUMULATE_RANKS.flatMap((r) => emit(dtype, 0, true, r))),
    ...FILLED.map((dtype) =>
      emitFusedKernel(oneOpFill(dtype), fillExport(dtype), { target: EAGER_REDUCTION_VECTOR })
    ),
  ];
  return generatedModule(kernels, "kernels/wasm/eager_copies.ts");
}
