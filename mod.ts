/**
 * Adjoint: JAX's composable function transformations for Deno and TypeScript.
 *
 * ```ts
 * import { grad, jit, numpy as np } from "./mod.ts";
 * const f = (x: np.Array) => np.sum(np.tanh(x).mul(x));
 * grad(f)(np.array([0.5, -1, 2])).toArray();
 * ```
 * @module
 */
// The first statement takes the module doc in deno doc, so it must not be a namespace (which
// would show this text in place of its own).
export { jit, type JitOptions, type Jitted, type Lowered } from "./core/transforms/jit.ts";
export * as numpy from "./numpy.ts";
export * as lax from "./lax.ts";
export * as tree from "./core/tree.ts";
export * as random from "./random/mod.ts";
export * as nn from "./nn/mod.ts";
export * as optim from "./optim/mod.ts";
export * as data from "./data/mod.ts";
export * as train from "./train/mod.ts";
export {
  grad,
  type GradOptions,
  jvp,
  linearize,
  valueAndGrad,
  vjp,
} from "./core/transforms/vjp.ts";
export { vmap, type VmapOptions } from "./core/transforms/vmap.ts";
export { makeJaxpr } from "./core/transforms/make_jaxpr.ts";
export { evalShape } from "./core/transforms/eval_shape.ts";
export { linearTranspose } from "./core/transforms/linear_transpose.ts";
export { hessian, jacfwd, type JacOptions, jacrev } from "./core/transforms/jacobian.ts";
export { customJvp, type CustomOut, customVjp } from "./core/transforms/custom.ts";
export { checkpoint, type CheckpointOptions } from "./core/control/checkpoint.ts";
export { stopGradient } from "./core/primitives/elementwise.ts";
export { Jaxpr } from "./core/jaxpr.ts";
export { AdjointError, ConcretizationError } from "./core/errors.ts";
export { NonFiniteError } from "./core/debug_nans.ts";
export { config, type ConfigFlags } from "./core/config.ts";
export {
  type Backend,
  type CompiledProgram,
  defaultBackendName,
  getBackend,
  registerBackend,
  type RunOptions,
  setDefaultBackend,
} from "./core/backend.ts";
export { toBackend, toBackendAsync } from "./core/placement.ts";
export { initWebGPU, type WebGPUOptions } from "./kernels/webgpu/init.ts";
export { wasmMemoryStats } from "./kernels/wasm/backend.ts";
export { setThreads, type ThreadSetting } from "./kernels/wasm/threads.ts";
export { type WasmThreading, wasmThreading } from "./kernels/wasm/runtime.ts";
export type { MemoryStats } from "./kernels/wasm/memory.ts";
export { Array, type ArrayLike, ConcreteArray, type NestedNumbers } from "./core/array.ts";
export { ShapedArray } from "./core/aval.ts";
export type { DType, TypedArray } from "./core/dtype.ts";
export type {
  ArgReductionOptions,
  Axis,
  ReductionOptions,
  VarianceOptions,
} from "./core/reduction_options.ts";
export type { DeviceBuffer } from "./core/backend.ts";
export type { Index, IndexArray, IndexUpdateRef, Slice } from "./core/index_types.ts";
export { type Atom, JaxprEqn, Literal, Var } from "./core/jaxpr.ts";
export {
  type BatchRule,
  type ImplRule,
  type JvpRule,
  type NoParams,
  type Params,
  type PartialEvalRule,
  Primitive,
  type PrimitiveProperties,
  type ShapeRule,
  type StagedEqn,
  type TransposeRule,
  UndefPrimal,
} from "./core/primitive.ts";
export {
  KERNEL_PRIMITIVE_NAMES,
  KERNEL_PRIMITIVES,
  type KernelPrimitive,
  type KernelPrimitiveName,
  type KernelPrimitiveParams,
} from "./core/primitives/registry.ts";
export type {
  BinaryElementwiseName,
  ConvertParams,
  UnaryElementwiseName,
} from "./core/primitives/elementwise.ts";
export type {
  BroadcastInDimParams,
  ConcatenateParams,
  PadParams,
  ReshapeParams,
  RevParams,
  SliceParams,
  TransposeParams,
} from "./core/primitives/structural.ts";
export type { ArgReduceParams, ReduceParams } from "./core/primitives/reductions.ts";
export type { DotDims, DotGeneralParams } from "./core/primitives/dot_general.ts";
export type {
  PatchesParams,
  PatchesTransposeParams,
  WindowParams,
} from "./core/primitives/patches.ts";
export type { AxisParams, ScatterAddParams } from "./core/primitives/indexing.ts";
export type { SortParams } from "./core/primitives/sort.ts";
export type { QrParams } from "./core/primitives/linalg/qr.ts";
export type { SvdParams } from "./core/primitives/linalg/svd.ts";
export type { TriangularSolveParams } from "./core/primitives/linalg/triangular_solve.ts";
export { backendCoverage, type CoverageReport } from "./kernels/coverage.ts";
export type { Coverage } from "./kernels/rule_table.ts";
export type { Shape } from "./core/shape.ts";
export type { Tree, TreeDef } from "./core/tree.ts";
