/**
 * A random program as functions: the program itself, the scalar loss its gradient and Hessian
 * are taken of, the function its mode checks, and that function's arguments.
 * @module
 */
import {
  type Array,
  ConcreteArray,
  hessian,
  type NestedNumbers,
  numpy as np,
  valueAndGrad,
  vmap,
} from "../../mod.ts";
import { allocTyped, type DType } from "../../core/dtype.ts";
import { evaluate } from "./expr.ts";
import { nest } from "./ops.ts";
import { type Cotangent, type Program, typeOf } from "./programs.ts";
import type { VType } from "./types.ts";

/** An argument on the host: data (and the seed it was filled from), shape, dtype. */
export interface HostArray {
  data: readonly number[];
  shape: readonly number[];
  dtype: DType;
  seed?: number;
}

/**
 * The program as a function of its inputs returning its outputs; `observe` sees every node's
 * value as it is computed.
 */
export function programFunction(
  p: Program,
  observe?: (id: number, v: Array) => void,
): (...xs: Array[]) => Array[] {
  return (...xs) => {
    const values: unknown[] = [...xs];
    for (const n of p.nodes) {
      const v = evaluate(n.expr, values) as Array;
      observe?.(values.length, v);
      values.push(v);
    }
    return p.outputs.map((id) => values[id] as Array);
  };
}

/** A literal array (the weights of the loss) of type `t`. */
function constant(data: readonly number[], t: VType): Array {
  const flat = t.dtype === "bool" ? data.map((v) => v !== 0) : data;
  return np.array(nest<number | boolean>(flat, t.shape) as NestedNumbers, t.dtype);
}

/** `sum_j sum(out_j * c_j)`: a scalar whose gradient weighs every float output. */
export function lossFunction(
  p: Program,
  cotangents: readonly Cotangent[],
): (...xs: Array[]) => Array {
  const f = programFunction(p);
  return (...xs) => {
    const outs = f(...xs);
    const terms = cotangents.map((c) =>
      np.sum(np.multiply(outs[c.output], constant(c.data, typeOf(p, p.outputs[c.output]))))
    );
    return terms.reduce((a, b) => np.add(a, b));
  };
}

/** The function a vmap program maps (the program, or its `valueAndGrad`). */
export function mappedFunction(p: Program): (...xs: Array[]) => unknown {
  if (p.mode.kind !== "vmap") throw new Error("fuzz: not a vmap program");
  const g = p.mode.grad;
  return g
    ? valueAndGrad(lossFunction(p, g.cotangents), { argnums: g.argnums })
    : programFunction(p);
}

/** The function the program's mode checks. */
export function checkedFunction(p: Program): (...xs: Array[]) => unknown {
  const m = p.mode;
  switch (m.kind) {
    case "value":
      return programFunction(p);
    case "grad":
      return valueAndGrad(lossFunction(p, m.cotangents), { argnums: m.argnums });
    case "hessian":
      return hessian(lossFunction(p, m.cotangents), { argnums: m.argnum });
    case "vmap":
      return vmap(mappedFunction(p), { inAxes: m.inAxes });
  }
}

/** Shape of input `i` batched along `axis` (or as it is, for null). */
export function batchedShape(shape: readonly number[], size: number, axis: number | null) {
  if (axis === null) return [...shape];
  const out = [...shape];
  out.splice(axis < 0 ? axis + shape.length + 1 : axis, 0, size);
  return out;
}

/** The checked function's arguments. */
export function checkedArguments(p: Program): HostArray[] {
  const m = p.mode;
  return p.inputs.map((x, i) => {
    const { shape, dtype } = x.type;
    if (m.kind !== "vmap" || m.inAxes[i] === null) return { ...x, shape, dtype };
    return { ...m.batched[i]!, shape: batchedShape(shape, m.size, m.inAxes[i]), dtype };
  });
}

/** A host array placed on `backend`. */
export function place(x: HostArray, backend: string): Array {
  const data = allocTyped(x.dtype, x.data.length);
  data.set(x.data);
  return ConcreteArray.fromHost(data, x.shape, x.dtype, backend);
}
