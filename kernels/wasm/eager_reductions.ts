/**
 * The prebuilt eager reduction kernels rendered from the kernel IR: for each reduction and
 * dtype listed here, the one-op reduction kernel (kernels/lowering/one_op_reduction.ts) in each
 * loop shape it is listed in, rendered by the jit code generator with int32 and float64
 * reductions vectorised too and a wide loop (several accumulators per row only where the result
 * does not depend on the order), so each gives the bits of the scalar loop, as jit's. `deno task build:kernels` writes the source to
 * kernels/assembly/reductions.ts. Each export, named `primitive_suffix_shape`
 * (`reduce_max_f32_rows`), takes the operand's and the output's addresses, a range `[lo, hi)` of
 * outer rows, then its run-time sizes: `r` (rows) or `r, inner` (columns).
 *
 * The other reductions stay hand-written (kernels/assembly/reduce.ts): float32 sums and products
 * accumulate in float64 (as ref), float64 sums along rows keep several partial sums, products have
 * no reduction store, and bool maxima and minima (any, all) have no vector form here yet. So do
 * the passes over 2-wide windows (r 2: 2x2 pooling's), where the hand-written kernels are about
 * twice as fast: they combine the two rows (or pairs) straight into the output, where the loop
 * kernel fills it with the identity first and combines each row into it.
 * @module
 */
import type { DType } from "../../core/dtype.ts";
import type { MonoidReduction } from "../../core/reduction_identity.ts";
import type { ReduceOp } from "../lowering/kernel_ir.ts";
import { oneOpReduction, type ReductionShape } from "../lowering/one_op_reduction.ts";
import { emitFusedKernel } from "./fused_codegen.ts";
import { EAGER_REDUCTION_VECTOR, generatedModule } from "./render_assemblyscript.ts";
import { SUFFIX } from "./runtime.ts";

/** The reduction store of each reduction primitive rendered from the IR. */
const STORE_OF: Readonly<Partial<Record<MonoidReduction, ReduceOp>>> = {
  reduce_sum: "add",
  reduce_max: "max",
  reduce_min: "min",
};

const BOTH: readonly ReductionShape[] = ["rows", "columns"];

/**
 * The loop shapes in which the eager kernels of each reduction primitive and dtype are rendered
 * from the IR. Float64 sums only in columns: each output adds its rows in order there, as jit's
 * loop does (and as ref), where a row's sum in one register would be a latency-bound chain.
 */
const RENDERED: Readonly<
  Record<MonoidReduction, Partial<Record<DType, readonly ReductionShape[]>>>
> = {
  reduce_sum: { int32: BOTH, float64: ["columns"] },
  reduce_prod: {},
  reduce_max: { float32: BOTH, float64: BOTH, int32: BOTH },
  reduce_min: { float32: BOTH, float64: BOTH, int32: BOTH },
};

/** The loop shapes in which the eager kernels of `name` on `dtype` are rendered from the IR. */
export function renderedShapes(name: MonoidReduction, dtype: DType): readonly ReductionShape[] {
  return RENDERED[name][dtype] ?? [];
}

/**
 * The hand-written kernel (kernels/assembly/reduce.ts) of the passes of `name` on `dtype` that
 * no rendered kernel runs: one rendered in every shape keeps only that of its 2-wide windows
 * (`_r2`).
 */
export function handWrittenExport(name: MonoidReduction, dtype: DType): string {
  const everyShape = renderedShapes(name, dtype).length === BOTH.length;
  return `${name}_${SUFFIX[dtype]}${everyShape ? "_r2" : ""}`;
}

/** The export name of the eager kernel of `name` on `dtype` in loop shape `shape`. */
export const reductionExport = (
  name: MonoidReduction,
  dtype: DType,
  shape: ReductionShape,
): string => `${name}_${SUFFIX[dtype]}_${shape}`;

/** The AssemblyScript source of the eager reduction kernels. */
export function renderEagerReductions(): string {
  const rendered = Object.entries(RENDERED) as [MonoidReduction, Record<DType, ReductionShape[]>][];
  const kernels = rendered.flatMap(([name, byDType]) =>
    (Object.entries(byDType) as [DType, ReductionShape[]][]).flatMap(([dtype, shapes]) =>
      shapes.map((shape) =>
        emitFusedKernel(
          oneOpReduction(STORE_OF[name]!, dtype, shape),
          reductionExport(name, dtype, shape),
          { target: EAGER_REDUCTION_VECTOR, wideReductions: true },
        )
      )
    )
  );
  return generatedModule(kernels, "kernels/wasm/eager_reductions.ts");
}
