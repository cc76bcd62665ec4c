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
export * as numpy from "./numpy.ts";
export * as lax from "./lax.ts";
export * as tree from "./core/tree.ts";
export { jit, type JitOptions, type Jitted, type Lowered } from "./core/transforms/jit.ts";
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
export { hessian, jacfwd, type JacOptions, jacrev } from "./core/transforms/jacobian.ts";
export { customJvp, customVjp } from "./core/transforms/custom.ts";
export { stopGradient } from "./core/primitives/elementwise.ts";
export { Jaxpr } from "./core/jaxpr.ts";
export { AdjointError, ConcretizationError } from "./core/errors.ts";
export {
  type Backend,
  defaultBackendName,
  getBackend,
  registerBackend,
  setDefaultBackend,
} from "./core/backend.ts";
