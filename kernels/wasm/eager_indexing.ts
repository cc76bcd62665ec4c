/**
 * The prebuilt eager `take` and `scatter_add` kernels rendered from the kernel IR: the one-op
 * indexing kernels (kernels/lowering/one_op_indexing.ts) of `take` for each element size (1, 4
 * and 8 bytes, moved as bool, int32 and float64 elements, whose loads and stores keep every bit)
 * and of `scatter_add` for float32, float64 and int32, each in both loop shapes, rendered by the
 * jit code generator. `deno task build:kernels` writes the source to
 * kernels/assembly/take_scatter.ts. Each export, named `take_bytes_shape` (`take_4_rows`) or
 * `scatter_add_suffix_shape` (`scatter_add_f32_elements`), takes the operand's (or updates')
 * address, the positions', the output's, the out-of-range flag's, a range `[lo, hi)` of the
 * outer axis, then the sizes `m` (and `inner` for rows) and `n`; it checks the positions first
 * and returns 1 where one is out of range (having set the flag and moved nothing), else 0.
 * A take's rows of 128 bytes or more are each one `memory.copy` (bulk_rows.ts `gatheredRow`).
 * @module
 */
import type { DType } from "../../core/dtype.ts";
import { type IndexingShape, oneOpScatterAdd, oneOpTake } from "../lowering/one_op_indexing.ts";
import { emitFusedKernel } from "./fused_codegen.ts";
import { EAGER_REDUCTION_VECTOR, generatedModule } from "./render_assemblyscript.ts";
import { SUFFIX } from "./runtime.ts";

/** The dtype whose loads and stores move elements of each size. */
const MOVED_AS: Readonly<Record<number, DType>> = { 1: "bool", 4: "int32", 8: "float64" };

/** The dtypes scatter-added (bools go through the reference kernel). */
export const SCATTER_ADDED: readonly DType[] = ["float32", "float64", "int32"];

const SHAPES: readonly IndexingShape[] = ["rows", "elements"];

/** The loop shape of a take or scatter-add moving rows of `inner` elements. */
export const indexingShape = (inner: number): IndexingShape => (inner === 1 ? "elements" : "rows");

/** Per key, per loop shape, the export name `name(key, shape)`: built once, so a launch builds none. */
function namesBy<K extends string | number>(
  keys: readonly K[],
  name: (key: K, shape: IndexingShape) => string,
): Readonly<Record<K, Readonly<Record<IndexingShape, string>>>> {
  const table = {} as Record<K, Record<IndexingShape, string>>;
  for (const key of keys) {
    table[key] = { rows: name(key, "rows"), elements: name(key, "elements") };
  }
  return table;
}

const TAKE_EXPORTS = namesBy(
  Object.keys(MOVED_AS).map(Number),
  (bytes, shape) => `take_${bytes}_${shape}`,
);
const SCATTER_ADD_EXPORTS = namesBy(
  SCATTER_ADDED,
  (dtype, shape) => `scatter_add_${SUFFIX[dtype]}_${shape}`,
);

/** The export name of the eager take of elements of `bytes` bytes in loop shape `shape`. */
export const takeExport = (bytes: number, shape: IndexingShape): string =>
  TAKE_EXPORTS[bytes][shape];

/** The export name of the eager scatter-add of `dtype` in loop shape `shape`. */
export const scatterAddExport = (dtype: DType, shape: IndexingShape): string =>
  SCATTER_ADD_EXPORTS[dtype][shape];

/** The AssemblyScript source of the eager take and scatter-add kernels. */
export function renderEagerIndexing(): string {
  const options = { target: EAGER_REDUCTION_VECTOR, wideReductions: true };
  const kernels = SHAPES.flatMap((shape) => [
    ...Object.entries(MOVED_AS).map(([bytes, dtype]) =>
      emitFusedKernel(oneOpTake(dtype, shape), takeExport(Number(bytes), shape), options)
    ),
    ...SCATTER_ADDED.map((dtype) =>
      emitFusedKernel(oneOpScatterAdd(dtype, shape), scatterAddExport(dtype, shape), options)
    ),
  ]);
  return generatedModule(kernels, "kernels/wasm/eager_indexing.ts");
}
