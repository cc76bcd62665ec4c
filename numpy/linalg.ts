/**
 * Products: matmul (NumPy semantics, batch broadcasting), dot, and einsum for one or two operands.
 * All lower to dot_general.
 * @module
 */
import type { Array } from "../core/array.ts";
import { AdjointError } from "../core/errors.ts";
import { dotGeneral } from "../core/primitives/dot_general.ts";
import { reduceSum } from "../core/primitives/reductions.ts";
import * as st from "../core/primitives/structural.ts";
import { broadcastShapes, range } from "../core/shape.ts";
import { type ArrayInput, asArray } from "./convert.ts";
import { promoteArgs } from "./promotion.ts";
import { multiply } from "./elementwise.ts";

/** Matrix product: 1-D operands are vectors, leading axes are broadcast batch axes. */
export function matmul(x: ArrayInput, y: ArrayInput): Array {
  let [a, b] = promoteArgs("np.matmul", [asArray(x), asArray(y)]);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new AdjointError(
      "np.matmul",
      `operands must be at least 1-D, got ${a.aval} and ${b.aval}`,
    );
  }
  const vecA = a.ndim === 1, vecB = b.ndim === 1;
  if (vecA) a = st.reshape(a, [1, a.shape[0]]);
  if (vecB) b = st.reshape(b, [b.shape[0], 1]);
  const k = a.shape[a.ndim - 1];
  if (k !== b.shape[b.ndim - 2]) {
    throw new AdjointError(
      "np.matmul",
      `inner dimensions differ: ${a.aval} @ ${b.aval} (${k} vs ${b.shape[b.ndim - 2]})`,
    );
  }
  const batch = broadcastShapes("np.matmul", a.shape.slice(0, -2), b.shape.slice(0, -2));
  const nb = batch.length;
  a = st.broadcastTo(a, [...batch, ...a.shape.slice(-2)]);
  b = st.broadcastTo(b, [...batch, ...b.shape.slice(-2)]);
  let out = dotGeneral(a, b, [[[nb + 1], [nb]], [range(nb), range(nb)]]);
  if (vecA || vecB) {
    const shape = [...batch];
    if (!vecA) shape.push(a.shape[nb]);
    if (!vecB) shape.push(b.shape[nb + 1]);
    out = st.reshape(out, shape);
  }
  return out;
}

/** NumPy's dot: inner product for vectors, matmul for matrices, sum over a's last axis otherwise. */
export function dot(x: ArrayInput, y: ArrayInput): Array {
  const [a, b] = promoteArgs("np.dot", [asArray(x), asArray(y)]);
  if (a.ndim === 0 || b.ndim === 0) return multiply(a, b);
  const bAxis = b.ndim === 1 ? 0 : b.ndim - 2;
  if (a.shape[a.ndim - 1] !== b.shape[bAxis]) {
    throw new AdjointError(
      "np.dot",
      `shapes ${a.aval} and ${b.aval} are not aligned (${a.shape[a.ndim - 1]} vs ${
        b.shape[bAxis]
      })`,
    );
  }
  return dotGeneral(a, b, [[[a.ndim - 1], [bAxis]], [[], []]]);
}

function parseSpec(spec: string, n: number): [string[], string] {
  const [lhs, rhs] = spec.replace(/\s/g, "").split("->");
  const ins = lhs.split(",");
  if (ins.length !== n) {
    throw new AdjointError("np.einsum", `"${spec}" names ${ins.length} operand(s), ${n} given`);
  }
  const out = rhs ??
    [...new Set(ins.join(""))].filter((c) => ins.join("").split(c).length === 2).sort().join("");
  return [ins, out];
}

function sumOut(x: Array, letters: string, keep: (c: string) => boolean): [Array, string] {
  const axes = range(letters.length).filter((i) => !keep(letters[i]));
  return [reduceSum(x, axes), [...letters].filter((c) => keep(c)).join("")];
}

/** Einstein summation over one or two operands, e.g. `einsum("bij,bjk->bik", a, b)`. */
export function einsum(spec: string, ...operands: ArrayInput[]): Array {
  const ops = promoteArgs("np.einsum", operands.map(asArray));
  const [ins, out] = parseSpec(spec, ops.length);
  ins.forEach((letters, i) => {
    if (letters.length !== ops[i].ndim || new Set(letters).size !== letters.length) {
      throw new AdjointError(
        "np.einsum",
        `operand ${i} ${
          ops[i].aval
        } does not match "${letters}" (one distinct letter per axis expected)`,
      );
    }
  });
  let x: Array, xl: string;
  if (ops.length === 1) {
    [x, xl] = sumOut(ops[0], ins[0], (c) => out.includes(c));
  } else if (ops.length === 2) {
    const [a0, b0] = ops;
    const [la0, lb0] = ins;
    const [a, la] = sumOut(a0, la0, (c) => out.includes(c) || lb0.includes(c));
    const [b, lb] = sumOut(b0, lb0, (c) => out.includes(c) || la0.includes(c));
    const batch = [...la].filter((c) => lb.includes(c) && out.includes(c));
    const contract = [...la].filter((c) => lb.includes(c) && !out.includes(c));
    for (const c of [...batch, ...contract]) {
      if (a.shape[la.indexOf(c)] !== b.shape[lb.indexOf(c)]) {
        throw new AdjointError(
          "np.einsum",
          `axis "${c}" has size ${a.shape[la.indexOf(c)]} in operand 0 and ${
            b.shape[lb.indexOf(c)]
          } in operand 1`,
        );
      }
    }
    x = dotGeneral(a, b, [
      [contract.map((c) => la.indexOf(c)), contract.map((c) => lb.indexOf(c))],
      [batch.map((c) => la.indexOf(c)), batch.map((c) => lb.indexOf(c))],
    ]);
    xl = [
      ...batch,
      ...[...la].filter((c) => !lb.includes(c)),
      ...[...lb].filter((c) => !la.includes(c)),
    ].join("");
  } else {
    throw new AdjointError("np.einsum", `supports one or two operands, got ${ops.length}`);
  }
  const missing = [...out].find((c) => !xl.includes(c));
  if (missing) {
    throw new AdjointError("np.einsum", `output letter "${missing}" is not in any input`);
  }
  return st.transpose(x, [...out].map((c) => xl.indexOf(c)));
}
