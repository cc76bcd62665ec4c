/**
 * The prebuilt eager reduction kernels rendered from the kernel IR: for each reduction and
 * dtype listed here, the one-op reduction kernel (kernels/lowering/one_op_reduction.ts) in each
 * loop shape it is listed in, rendered by the jit code generator with int32, float64 and bool
 * reductions vectorised too and a wide loop (several accumulators per row only where the result
 * does not depend on the order, or float32 values accumulate in float64), so each but the
 * float32 sums and products gives the bits of the scalar loop, as jit's; and the second pass of
 * the index reductions (`firstPosition`). `deno task build:kernels` writes the source to
 * kernels/assembly/reductions.ts. Each export, named `primitive_suffix_shape`
 * (`reduce_max_f32_rows`, `first_position_f32_rows`), takes its operands' and output's
 * addresses, a range `[lo, hi)` of outer rows, then its run-time sizes: `r` (rows) or
 * `r, inner` (columns), then (float32 sums and products) the address of its float64 scratch.
 *
 * Float32 sums and products accumulate in float64 (`accumulatorOf`), as ref.
 *
 * The other reductions stay hand-written (kernels/assembly/reduce.ts): float64 sums and products
 * along rows keep several partial results, and bool maxima and minima (any, all) along rows,
 * where a wide loop's 16 bools a step ran 1.25x slower than the hand-written 64. So do the short
 * passes (`isShortPass`: pooling windows, short rows), where the hand-written kernels combine the
 * first two rows (or pairs) straight into the output with less work per row.
 * @module
 */
import type { DType } from "../../core/dtype.ts";
import type { MonoidReduction } from "../../core/reduction_identity.ts";
import type { ReduceOp } from "../lowering/kernel_ir.ts";
import {
  firstPosition,
  oneOpReduction,
  type ReductionShape,
} from "../lowering/one_op_reduction.ts";
import { emitFusedKernel } from "./fused_codegen.ts";
import { EAGER_REDUCTION_VECTOR, generatedModule } from "./render_assemblyscript.ts";
import { SUFFIX } from "./runtime.ts";

/** The reduction store of each reduction primitive rendered from the IR. */
const STORE_OF: Readonly<Partial<Record<MonoidReduction, ReduceOp>>> = {
  reduce_sum: "add",
  reduce_prod: "mul",
  reduce_max: "max",
  reduce_min: "min",
};

const BOTH: readonly ReductionShape[] = ["rows", "columns"];

/**
 * The loop shapes in which the eager kernels of each reduction primitive and dtype are rendered
 * from the IR. Float64 sums and products only in columns: each output combines its rows in order
 * there, as jit's loop does (and as ref), where a row's in one register would be a latency-bound
 * chain.
 */
const RENDERED: Readonly<
  Record<MonoidReduction, Partial<Record<DType, readonly ReductionShape[]>>>
> = {
  reduce_sum: { float32: BOTH, int32: BOTH, float64: ["columns"] },
  reduce_prod: { float32: BOTH, int32: BOTH, float64: ["columns"] },
  reduce_max: { float32: BOTH, float64: BOTH, int32: BOTH, bool: ["columns"] },
  reduce_min: { float32: BOTH, float64: BOTH, int32: BOTH, bool: ["columns"] },
};

/**
 * The dtype in which the rendered kernels of `name` on `dtype` accumulate where it is not
 * `dtype`: float32 sums and products in float64, as ref, so that their only rounding is the
 * final one (`Store.accumulator`; each task of such a kernel takes the address of a scratch
 * space of one accumulator per output of a step of its outer axis: 1 along rows, `inner` along
 * columns).
 */
export function accumulatorOf(name: MonoidReduction, dtype: DType): DType | undefined {
  const wide = dtype === "float32" && (name === "reduce_sum" || name === "reduce_prod");
  return wide ? "float64" : undefined;
}

/** The loop shapes in which the eager kernels of `name` on `dtype` are rendered from the IR. */
export function renderedShapes(name: MonoidReduction, dtype: DType): readonly ReductionShape[] {
  return RENDERED[name][dtype] ?? [];
}

/**
 * Whether an `[outer, r, inner]` pass of `dtype` in loop shape `shape` is short (pooling windows,
 * short rows), run by the hand-written kernel, which combines the first two rows (or vectors)
 * straight into the output, with less work per row than a rendered kernel: along rows r below
 * 256 (its wide loop and accumulators run per row: against the hand-written kernels, float32 max,
 * 31-41 rounds, rows [n, r] were 1.1-1.8x slower at r 16-64, 1.07x at 128, 0.96x at 256); along
 * columns r below 16, but for rows of 64 or more (not bools) from 4 rows on, where a rendered
 * kernel, storing its first row instead of filling the outputs with the identity, is faster
 * (kernel-only timings, [2048, r, 64], r 4-12: float32 max 0.83-0.93x, float64 max 0.82-0.89x,
 * int32 sums 0.84-0.91x; bench/builds.ts [2048, 6, 64], 41 rounds: float32 max 0.85-0.87x, int32
 * sums 0.92-0.95x). At 3 rows (3x3 pooling) it was no faster (0.97-1.04x), below 64 up to 1.4x
 * slower (float32 max [1024, 3, 14] 1.15x, int32 [4096, 2, 28] 1.38x), as bools at every inner
 * size (1.3-1.6x).
 */
export function isShortPass(
  shape: ReductionShape,
  dtype: DType,
  r: number,
  inner: number,
): boolean {
  if (shape === "rows") return r < 256;
  return r < 16 && !(r >= 4 && inner >= 64 && dtype !== "bool");
}

/**
 * Whether an index reduction (argmax, argmin) over `[outer, r, inner]` runs the hand-written
 * kernel in one pass rather than its two rendered passes (`POSITION_DTYPES`): rows of fewer than
 * 8 and fewer than 1024 elements in all, where the second launch costs more than the scalar
 * kernel's work (bench/builds.ts, 41 rounds, both orders, float32, measured when the second pass
 * also read a buffer of positions: rows of 3 1.29x slower, [8, 10] 1.3-1.5x; the hand-written
 * kernel is scalar: rows of 10 0.60x, of 100 0.32x, columns of 3 and 6 rows 64 wide 0.15-0.17x).
 */
export function isShortIndexPass(r: number, inner: number, outer: number): boolean {
  return (inner === 1 && r < 8) || outer * r * inner < 1024;
}

/**
 * The hand-written kernel (kernels/assembly/reduce.ts) of the passes of `name` on `dtype` that
 * no rendered kernel runs: one rendered in every shape keeps only that of its short passes
 * (`_short`: `isShortPass`).
 */
export function handWrittenExport(name: MonoidReduction, dtype: DType): string {
  const everyShape = renderedShapes(name, dtype).length === BOTH.length;
  return `${name}_${SUFFIX[dtype]}${everyShape ? "_short" : ""}`;
}

/** The export name of the eager kernel of `name` on `dtype` in loop shape `shape`. */
export const reductionExport = (
  name: MonoidReduction,
  dtype: DType,
  shape: ReductionShape,
): string => `${name}_${SUFFIX[dtype]}_${shape}`;

/**
 * The dtypes of the index reductions (argmax, argmin) whose passes (but short ones,
 * `isShortIndexPass`)
 * run from the IR: the extreme (reduce_max, reduce_min), then the first position of it
 * (`firstPosition`), in both loop shapes.
 */
export const POSITION_DTYPES: readonly DType[] = ["float32", "float64", "int32", "bool"];

/** The export name of the second pass of an index reduction on `dtype` in loop shape `shape`. */
export const positionExport = (dtype: DType, shape: ReductionShape): string =>
  `first_position_${SUFFIX[dtype]}_${shape}`;

/** The AssemblyScript source of the eager reduction kernels. */
export function renderEagerReductions(): string {
  const rendered = Object.entries(RENDERED) as [MonoidReduction, Record<DType, ReductionShape[]>][];
  const kernels = rendered.flatMap(([name, byDType]) =>
    (Object.entries(byDType) as [DType, ReductionShape[]][]).flatMap(([dtype, shapes]) =>
      shapes.map((shape) =>
        emitFusedKernel(
          oneOpReduction(STORE_OF[name]!, dtype, shape, accumulatorOf(name, dtype)),
          reductionExport(name, dtype, shape),
          { target: EAGER_REDUCTION_VECTOR, wideReductions: true },
        )
      )
    )
  );
  const positions = POSITION_DTYPES.flatMap((dtype) =>
    BOTH.map((shape) =>
      emitFusedKernel(firstPosition(dtype, shape), positionExport(dtype, shape), {
        target: EAGER_REDUCTION_VECTOR,
        wideReductions: true,
      })
    )
  );
  return generatedModule([...kernels, ...positions], "kernels/wasm/eager_reductions.ts");
}
