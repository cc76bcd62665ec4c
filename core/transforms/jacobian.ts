/**
 * Jacobians and Hessians built from jvp/vjp and vmap: `jacfwd` pushes forward a basis of input
 * tangents, `jacrev` pulls back a basis of output cotangents, `hessian` is `jacfwd(jacrev(f))`.
 * @module
 */
import { type Array, ConcreteArray } from "../array.ts";
import { allocTyped } from "../dtype.ts";
import { AdjointError } from "../errors.ts";
import { reshape, transpose } from "../primitives/structural.ts";
import { jvp, vjp } from "./vjp.ts";
import { vmap } from "./vmap.ts";

/** Options of the Jacobian functions. */
export interface JacOptions {
  /** Which positional argument to differentiate (default 0). */
  argnums?: number;
}

function basis(shape: readonly number[], like: Array): Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = allocTyped(like.dtype, n * n);
  for (let i = 0; i < n; i++) data[i * n + i] = 1;
  return ConcreteArray.fromHost(data, [n, ...shape], like.dtype);
}

function argOf(op: string, args: unknown[], argnums: number): Array {
  const x = args[argnums];
  if (!(x && typeof x === "object" && "aval" in x)) {
    throw new AdjointError(op, `argument ${argnums} must be an array`);
  }
  return x as Array;
}

function withArg(args: unknown[], i: number, x: Array): unknown[] {
  const out = [...args];
  out[i] = x;
  return out;
}

/** Jacobian by forward mode: output shape `[...out.shape, ...x.shape]`. */
export function jacfwd(
  f: (...args: any[]) => Array,
  options: JacOptions = {},
): (...args: unknown[]) => Array {
  const { argnums = 0 } = options;
  return (...args: unknown[]): Array => {
    const x = argOf("jacfwd", args, argnums);
    const g = (xi: Array) => f(...withArg(args, argnums, xi));
    const push = (t: Array) => jvp(g, [x], [t])[1] as Array;
    const cols = vmap(push)(basis(x.shape, x)) as Array;
    const outShape = cols.shape.slice(1);
    const outSize = outShape.reduce((a, b) => a * b, 1);
    return reshape(transpose(reshape(cols, [x.size, outSize]), [1, 0]), [...outShape, ...x.shape]);
  };
}

/** Jacobian by reverse mode: output shape `[...out.shape, ...x.shape]`. */
export function jacrev(
  f: (...args: any[]) => Array,
  options: JacOptions = {},
): (...args: unknown[]) => Array {
  const { argnums = 0 } = options;
  return (...args: unknown[]): Array => {
    const x = argOf("jacrev", args, argnums);
    const g = (xi: Array) => f(...withArg(args, argnums, xi));
    const [y, pull] = vjp(g, x);
    const out = y as Array;
    const rows = vmap((ct: Array) => pull(ct)[0])(basis(out.shape, out)) as Array;
    return reshape(rows, [...out.shape, ...x.shape]);
  };
}

/** Hessian of a scalar function: `jacfwd(jacrev(f))`. */
export function hessian(
  f: (...args: any[]) => Array,
  options: JacOptions = {},
): (...args: unknown[]) => Array {
  return jacfwd(jacrev(f, options), options);
}
