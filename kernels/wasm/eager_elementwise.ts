/**
 * The prebuilt eager kernels of the elementwise primitives, rendered from the kernel IR: for
 * each unary and binary primitive at every operand dtype it takes (the int32 word operations
 * xor and the shifts too), threefry2x32, select_n at every dtype and convert_element_type
 * between every pair of dtypes, the one-op loop kernel of its lowering
 * (kernels/lowering/one_op_kernel.ts) rendered by the same code generator as jit kernels, so
 * eager and jit run one path and give the same bits. `deno task build:kernels` writes the
 * source to kernels/assembly/elementwise.ts and compiles it into the prebuilt module. Each
 * export takes its operands' and its outputs' addresses and a range `[lo, hi)` of elements, so
 * that threads can split it; it is named `primitive_suffix` (`exp_f32`, `lt_i32`, `not_u8`),
 * `select_n_suffix` of its output, or `convert_from_to` (`convert_f32_u8`).
 * @module
 */
import { ShapedArray } from "../../core/aval.ts";
import type { DType } from "../../core/dtype.ts";
import { WORD_BINARY } from "../../core/primitives/bits.ts";
import { BINARY_ELEMENTWISE, UNARY_ELEMENTWISE } from "../../core/primitives/elementwise.ts";
import { KERNEL_PRIMITIVES } from "../../core/primitives/registry.ts";
import type { LoweredName } from "../lowering/lower_elementwise.ts";
import { oneOpKernel } from "../lowering/one_op_kernel.ts";
import { emitFusedKernel } from "./fused_codegen.ts";
import { generatedModule } from "./render_assemblyscript.ts";
import { SUFFIX } from "./runtime.ts";

const DTYPES: readonly DType[] = ["float32", "float64", "int32", "bool"];

/**
 * A size for the one-op kernels' space: only its rank and that it allows a vector loop shape
 * the code; the loop runs over the range each call gives.
 */
const ANY_LENGTH = 1 << 28;

/** One eager kernel: its primitive, export name, operand dtypes and output dtype. */
export interface EagerKernel {
  /** The primitive it applies. */
  readonly name: LoweredName;
  /** The export's name. */
  readonly export: string;
  /** Its operands' dtypes. */
  readonly inputs: readonly DType[];
  /** Its outputs' dtypes. */
  readonly outs: readonly DType[];
}

/** The output dtypes of primitive `name` on operands of `inputs`, or null when it refuses them. */
function outputDTypes(name: string, inputs: readonly DType[]): DType[] | null {
  const prim = KERNEL_PRIMITIVES[name as keyof typeof KERNEL_PRIMITIVES];
  try {
    return prim.shape!(inputs.map((d) => new ShapedArray([1], d)), {} as never).map((a) => a.dtype);
  } catch {
    return null;
  }
}

/** The kernels of the primitives `names` taking `arity` operands of one dtype. */
function sameDType(names: readonly LoweredName[], arity: number): EagerKernel[] {
  return names.flatMap((name) =>
    DTYPES.flatMap((d) => {
      const inputs = Array<DType>(arity).fill(d);
      const outs = outputDTypes(name, inputs);
      return outs ? [{ name, export: `${name}_${SUFFIX[d]}`, inputs, outs }] : [];
    })
  );
}

/** Every eager elementwise kernel. */
export function eagerElementwiseKernels(): EagerKernel[] {
  const select = DTYPES.map((d): EagerKernel => ({
    name: "select_n",
    export: `select_n_${SUFFIX[d]}`,
    inputs: ["bool", d, d],
    outs: [d],
  }));
  const convert = DTYPES.flatMap((from) =>
    DTYPES.filter((to) => to !== from).map((to): EagerKernel => ({
      name: "convert_element_type",
      export: `convert_${SUFFIX[from]}_${SUFFIX[to]}`,
      inputs: [from],
      outs: [to],
    }))
  );
  return [
    ...sameDType(UNARY_ELEMENTWISE, 1),
    ...sameDType(BINARY_ELEMENTWISE, 2),
    ...sameDType(WORD_BINARY, 2),
    ...sameDType(["threefry2x32"], 4),
    ...select,
    ...convert,
  ];
}

/** The AssemblyScript source of the eager elementwise kernels. */
export function renderEagerElementwise(): string {
  const kernels = eagerElementwiseKernels().map((k) =>
    emitFusedKernel(oneOpKernel(k.name, k.inputs, k.outs, ANY_LENGTH), k.export)
  );
  return generatedModule(kernels, "kernels/wasm/eager_elementwise.ts");
}
