/**
 * Jacobians and Hessians built from jvp/vjp and vmap, over pytrees as JAX's: `jacfwd` pushes
 * forward a basis of input tangents, `jacrev` pulls back a basis of output cotangents, `hessian`
 * is `jacfwd(jacrev(f))`. The result has the output's structure with, at each output leaf, the
 * structure of the differentiated arguments (a list of them when `argnums` is a list); a leaf
 * pairing output `y` with input `x` has shape `[...y.shape, ...x.shape]`.
 * @module
 */
import { Array, ConcreteArray } from "../array.ts";
import { allocTyped, isFloat } from "../dtype.ts";
import { AdjointError } from "../errors.ts";
import { reshape, slice, transpose } from "../primitives/structural.ts";
import { flatten, type Tree, type TreeDef, unflatten } from "../tree.ts";
import { flattenArrays } from "./flat.ts";
import { jvpFlat } from "./jvp.ts";
import { vjpFlat } from "./vjp.ts";
import { vmapFlat } from "./vmap.ts";

/** Options of `jacfwd`, `jacrev` and `hessian`. */
export interface JacOptions {
  /** Which positional arguments to differentiate (default 0); a list nests a list of Jacobians. */
  argnums?: number | number[];
  /** Whether `f` returns `[out, aux]`; then the result is `[jacobian, aux]`. */
  hasAux?: boolean;
}

/** The differentiated leaves and the structure of the differentiated arguments. */
interface DiffArgs {
  nums: number[];
  leaves: Array[];
  def: TreeDef;
}

function diffArgs(op: string, args: unknown[], argnums: number | number[]): DiffArgs {
  const nums = typeof argnums === "number" ? [argnums] : argnums;
  for (const n of nums) {
    if (!Number.isInteger(n) || n < 0 || n >= args.length) {
      throw new AdjointError(
        op,
        `argnums ${n} is out of range for a function called with ${args.length} argument(s)`,
      );
    }
  }
  const picked = typeof argnums === "number" ? args[argnums] : nums.map((n) => args[n]);
  const [leaves, def] = flattenArrays(op, picked as Tree);
  for (const l of leaves) {
    if (!isFloat(l.dtype)) {
      throw new AdjointError(
        op,
        `differentiated arguments must be float32 or float64, got ${l.aval}; ` +
          `pass integer inputs through an argument not in argnums`,
      );
    }
  }
  return { nums, leaves, def };
}

/** What a call of `f` returned besides its flat output leaves. */
interface CallRecord {
  outDef?: TreeDef;
  nOut: number;
  auxDef?: TreeDef;
  auxLeaves: unknown[];
}

/**
 * `f` as a function of the differentiated leaves returning `[...out leaves, ...aux arrays]`;
 * `rec` records the structures (aux leaves that are not arrays are kept as they are).
 */
function flatCall(
  op: string,
  f: (...args: any[]) => any,
  args: unknown[],
  { nums, def }: DiffArgs,
  argnums: number | number[],
  hasAux: boolean,
  rec: CallRecord,
): (xs: Array[]) => Array[] {
  return (xs) => {
    const diff = unflatten(def, xs);
    const callArgs = [...args];
    if (typeof argnums === "number") callArgs[argnums] = diff;
    else nums.forEach((n, k) => (callArgs[n] = (diff as unknown[])[k]));
    let out = f(...callArgs);
    rec.auxLeaves = [];
    if (hasAux) {
      if (!globalThis.Array.isArray(out) || out.length !== 2) {
        throw new AdjointError(op, "with hasAux, the function must return [out, aux]");
      }
      [rec.auxLeaves, rec.auxDef] = flatten(out[1]);
      out = out[0];
    }
    const [outs, outDef] = flattenArrays(op, out);
    for (const o of outs) {
      if (!isFloat(o.dtype)) {
        throw new AdjointError(op, `outputs must be float32 or float64, got ${o.aval}`);
      }
    }
    rec.outDef = outDef;
    rec.nOut = outs.length;
    return [...outs, ...rec.auxLeaves.filter((l): l is Array => l instanceof Array)];
  };
}

/** The aux tree from its array leaves (computed) and the recorded other leaves. */
function auxTree(rec: CallRecord, arrays: Array[]): Tree {
  let k = 0;
  return unflatten(rec.auxDef!, rec.auxLeaves.map((l) => (l instanceof Array ? arrays[k++] : l)));
}

/**
 * The standard basis of the space of `leaves`, one array per leaf of shape `[n, ...leaf.shape]`
 * (`n` the total size): row `r` is the `r`-th unit vector of the flattened leaves.
 */
function standardBasis(leaves: Array[]): Array[] {
  const n = leaves.reduce((s, l) => s + l.size, 0);
  let offset = 0;
  return leaves.map((l) => {
    const data = allocTyped(l.dtype, n * l.size);
    for (let k = 0; k < l.size; k++) data[(offset + k) * l.size + k] = 1;
    offset += l.size;
    return ConcreteArray.fromHost(data, [n, ...l.shape], l.dtype);
  });
}

/** Rows `[start, start + count)` of a `[n, ...]` array. */
function rows(x: Array, start: number, count: number): Array {
  return slice(x, [start, ...x.shape.slice(1).map(() => 0)], [start + count, ...x.shape.slice(1)]);
}

/** Nests per-(output, input) leaves as the output tree of input trees. */
function nest(outDef: TreeDef, inDef: TreeDef, blocks: Array[][]): Tree {
  return unflatten(outDef, blocks.map((row) => unflatten(inDef, row)));
}

function wrapAux(jac: Tree, hasAux: boolean, aux: () => Tree): any {
  return hasAux ? [jac, aux()] : jac;
}

/**
 * Jacobian by forward mode (one jvp per input element, vectorised): best when inputs are small.
 * With `hasAux`, returns `[jacobian, aux]`.
 */
export function jacfwd(
  f: (...args: any[]) => any,
  options: JacOptions = {},
): (...args: any[]) => any {
  const { argnums = 0, hasAux = false } = options;
  return (...args: unknown[]) => {
    const d = diffArgs("jacfwd", args, argnums);
    const rec: CallRecord = { nOut: 0, auxLeaves: [] };
    const g = flatCall("jacfwd", f, args, d, argnums, hasAux, rec);
    const pushed = vmapFlat(
      (ts) => {
        const [outs, touts] = jvpFlat(g, d.leaves, ts);
        return [...outs.slice(rec.nOut), ...touts.slice(0, rec.nOut)];
      },
      d.leaves.map(() => 0),
      standardBasis(d.leaves),
      (o) => o.map((_, i) => (i < o.length - rec.nOut ? null : 0)),
    );
    const nAux = pushed.length - rec.nOut;
    const tangents = pushed.slice(nAux);
    const blocks = tangents.map((t) => {
      const outShape = t.shape.slice(1);
      const outSize = outShape.reduce((a, b) => a * b, 1);
      let offset = 0;
      return d.leaves.map((x) => {
        const r = rows(t, offset, x.size);
        offset += x.size;
        const cols = transpose(reshape(r, [x.size, outSize]), [1, 0]);
        return reshape(cols, [...outShape, ...x.shape]);
      });
    });
    return wrapAux(
      nest(rec.outDef!, d.def, blocks),
      hasAux,
      () => auxTree(rec, pushed.slice(0, nAux)),
    );
  };
}

/**
 * Jacobian by reverse mode (one vjp per output element, vectorised): best when outputs are
 * small. With `hasAux`, returns `[jacobian, aux]`.
 */
export function jacrev(
  f: (...args: any[]) => any,
  options: JacOptions = {},
): (...args: any[]) => any {
  const { argnums = 0, hasAux = false } = options;
  return (...args: unknown[]) => {
    const d = diffArgs("jacrev", args, argnums);
    const rec: CallRecord = { nOut: 0, auxLeaves: [] };
    const [all, pull] = vjpFlat(flatCall("jacrev", f, args, d, argnums, hasAux, rec), d.leaves);
    const outs = all.slice(0, rec.nOut);
    const aux = all.slice(rec.nOut);
    const pulled = vmapFlat(
      (cts) => pull([...cts, ...aux.map(() => null)]),
      outs.map(() => 0),
      standardBasis(outs),
    );
    let offset = 0;
    const blocks = outs.map((y) => {
      const row = pulled.map((ct, j) =>
        reshape(rows(ct, offset, y.size), [...y.shape, ...d.leaves[j].shape])
      );
      offset += y.size;
      return row;
    });
    return wrapAux(nest(rec.outDef!, d.def, blocks), hasAux, () => auxTree(rec, aux));
  };
}

/**
 * Hessian: `jacfwd(jacrev(f))` with the same options. For a scalar `f` of one array `x`, an
 * array of shape `[...x.shape, ...x.shape]`; over pytrees, nested as JAX's (block `[i][j]` is
 * the derivative by input `j` of the gradient by input `i`).
 */
export function hessian(
  f: (...args: any[]) => any,
  options: JacOptions = {},
): (...args: any[]) => any {
  return jacfwd(jacrev(f, options), options);
}
