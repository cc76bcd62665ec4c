/**
 * The rules shared by primitives that call one jaxpr with their operands (`pjit`, `checkpoint`):
 * jvp binds the primitive on the primal operands and again on a tangent-only jaxpr; the transpose
 * binds it on the transposed jaxpr; vmap on the batched one. Each transformed jaxpr is made once
 * per jaxpr and transformation, so a backend compiles it once. The tangent and transposed jaxprs
 * recompute what they need of the primal from the primal operands, so the residuals stored for
 * reverse mode are the operands, not the intermediates.
 * @module
 */
import type { Array } from "../array.ts";
import type { Jaxpr } from "../jaxpr.ts";
import { type Params, type Primitive, UndefPrimal } from "../primitive.ts";
import { full } from "../primitives/constants.ts";
import { bind } from "../trace.ts";
import {
  checkTypes,
  differentiable,
  inAvals,
  memoJaxpr,
  outAvals,
  tangentJaxpr,
  transposeJaxpr,
  vmapJaxpr,
} from "./sub_jaxpr.ts";

/** Params of a call primitive: the jaxpr and a name for printing. */
export interface CallParams extends Params {
  /** The called jaxpr (captured values are its leading operands). */
  jaxpr: Jaxpr;
  /** The function's name, for printing. */
  name: string;
}

const flags = (xs: readonly boolean[]) => xs.map((x) => (x ? 1 : 0)).join("");

/** Installs the shape, jvp, transpose and batching rules of a call primitive on `prim`. */
export function installCallRules(prim: Primitive<string, CallParams>): void {
  const op = prim.name;
  prim.shape = (avals, { jaxpr }) => {
    checkTypes(op, ["the operands", avals], ["the jaxpr's inputs", inAvals(jaxpr)], "internal");
    return outAvals(jaxpr);
  };
  prim.jvp = (primals, tangents, p) => {
    const outs = bind(prim, primals, p);
    const withTangent = primals.map((x, i) => tangents[i] !== null && differentiable(x.aval));
    const jaxpr = memoJaxpr(
      p.jaxpr,
      `jvp:${flags(withTangent)}`,
      () => tangentJaxpr(p.jaxpr, withTangent),
    );
    const given = tangents.filter((_, i) => withTangent[i]) as Array[];
    const touts = bind(prim, [...primals, ...given], { ...p, jaxpr, name: `jvp(${p.name})` });
    let k = 0;
    return [outs, outs.map((o) => (differentiable(o.aval) ? touts[k++] : null))];
  };

  prim.transpose = (cts, args, p) => {
    const linear = args.map((x) => x instanceof UndefPrimal);
    const jaxpr = memoJaxpr(
      p.jaxpr,
      `transpose:${flags(linear)}`,
      () => transposeJaxpr(p.jaxpr, linear),
    );
    const known = args.filter((x) => !(x instanceof UndefPrimal)) as Array[];
    const ctAvals = outAvals(p.jaxpr);
    const ctsIn = cts.map((c, i) => c ?? full(ctAvals[i].shape, 0, ctAvals[i].dtype));
    const out = bind(prim, [...known, ...ctsIn], { ...p, jaxpr, name: `transpose(${p.name})` });
    let k = 0;
    return linear.map((l) => (l ? out[k++] : null));
  };

  prim.batch = (size, args, dims, p) => {
    const key = `vmap:${size}:${dims.map((d) => d ?? "-").join(",")}`;
    const jaxpr = memoJaxpr(p.jaxpr, key, () => vmapJaxpr(p.jaxpr, size, dims));
    const outs = bind(prim, args, { ...p, jaxpr, name: `vmap(${p.name})` });
    return [outs, outs.map(() => 0)];
  };
}
