/**
 * `einsum`: Einstein summation over any number of operands, NumPy's subscripts: repeated
 * letters within an operand take its diagonal (`"ii->i"`, `"ii->"`), `...` stands for
 * broadcast leading axes (`"...ij,...jk->...ik"`), and without `->` the output is `...` then
 * the letters used once, in order. Operands are contracted left to right, each pair by one
 * dot_general; letters no later operand or the output needs are summed as soon as possible.
 * @module
 */
import type { Array } from "../core/array.ts";
import { AdjointError } from "../core/errors.ts";
import { dotGeneral } from "../core/primitives/dot_general.ts";
import { reduceSum } from "../core/primitives/reductions.ts";
import * as st from "../core/primitives/structural.ts";
import { range } from "../core/shape.ts";
import { type ArrayInput, asArray } from "./convert.ts";
import { diagonal } from "./diagonal.ts";
import { promoteArgs } from "./promotion.ts";

const OP = "np.einsum";

/** An operand with one label per axis: a letter, or `.k` for the k-th broadcast axis. */
interface Term {
  x: Array;
  labels: string[];
}

/** Letters of one subscript term, with `"..."` kept as one entry. */
function splitTerm(term: string, spec: string): string[] {
  const parts = term.split("...");
  if (parts.length > 2) throw new AdjointError(OP, `"${spec}": "..." may appear once per term`);
  for (const c of parts.join("")) {
    if (!/[a-zA-Z]/.test(c)) {
      throw new AdjointError(OP, `"${spec}": subscripts are letters and "...", got "${c}"`);
    }
  }
  return parts.length === 2 ? [...parts[0], "...", ...parts[1]] : [...parts[0]];
}

/** Each operand's labels (its `...` axes right-aligned across operands) and the output's. */
function parse(spec: string, ops: Array[]): [string[][], string[]] {
  const [lhs, rhs, ...more] = spec.replace(/\s/g, "").split("->");
  const terms = lhs.split(",").map((t) => splitTerm(t, spec));
  if (more.length || terms.length !== ops.length) {
    throw new AdjointError(
      OP,
      `"${spec}" names ${terms.length} operand(s) (and may hold one "->"), ${ops.length} given`,
    );
  }
  const ranks = terms.map((t, i) => {
    const explicit = t.filter((c) => c !== "...").length;
    const r = ops[i].ndim - explicit;
    if (r < 0 || (r > 0 && !t.includes("..."))) {
      throw new AdjointError(
        OP,
        `operand ${i} ${ops[i].aval} does not match "${t.join("")}" (one letter per axis)`,
      );
    }
    return r;
  });
  const width = Math.max(0, ...ranks);
  const dots = (r: number) => range(r).map((j) => `.${width - r + j}`);
  const labels = terms.map((t, i) => t.flatMap((c) => (c === "..." ? dots(ranks[i]) : [c])));
  let out: string[];
  if (rhs === undefined) {
    const letters = labels.flat().filter((c) => !c.startsWith("."));
    const once = [...new Set(letters)].filter((c) => letters.indexOf(c) === letters.lastIndexOf(c));
    out = [...dots(width), ...once.sort()];
  } else {
    out = splitTerm(rhs, spec).flatMap((c) => (c === "..." ? dots(width) : [c]));
  }
  const seen = new Set<string>();
  for (const c of out) {
    if (seen.has(c)) throw new AdjointError(OP, `"${spec}": output letter "${c}" repeats`);
    if (!labels.some((l) => l.includes(c))) {
      throw new AdjointError(OP, `"${spec}": output letter "${c}" is not in any input`);
    }
    seen.add(c);
  }
  return [labels, out];
}

/** The term with each repeated label replaced by the diagonal over its axes. */
function takeDiagonals(t: Term, index: number): Term {
  let { x, labels } = t;
  for (;;) {
    const p = labels.findIndex((c, i) => labels.indexOf(c) !== i);
    if (p < 0) return { x, labels };
    const first = labels.indexOf(labels[p]);
    if (x.shape[first] !== x.shape[p]) {
      throw new AdjointError(
        OP,
        `operand ${index} repeats "${labels[p]}" over axes of sizes ${x.shape[first]} and ` +
          `${x.shape[p]}; a diagonal needs equal sizes`,
      );
    }
    x = diagonal(x, 0, first, p);
    labels = [...labels.filter((_, i) => i !== first && i !== p), labels[p]];
  }
}

/** The term with the labels `keep` rejects summed out. */
function sumUnless(t: Term, keep: (c: string) => boolean): Term {
  const axes = range(t.labels.length).filter((i) => !keep(t.labels[i]));
  if (!axes.length) return t;
  return { x: reduceSum(t.x, axes), labels: t.labels.filter((c) => keep(c)) };
}

/** The product of two terms summed over their shared labels that `keep` rejects. */
function contract(a: Term, b: Term, keep: (c: string) => boolean): Term {
  const shared = a.labels.filter((c) => b.labels.includes(c));
  const batch = shared.filter(keep), summed = shared.filter((c) => !keep(c));
  const idx = (t: Term, cs: string[]) => cs.map((c) => t.labels.indexOf(c));
  const x = dotGeneral(a.x, b.x, [[idx(a, summed), idx(b, summed)], [
    idx(a, batch),
    idx(b, batch),
  ]]);
  const free = (t: Term) => t.labels.filter((c) => !shared.includes(c));
  return { x, labels: [...batch, ...free(a), ...free(b)] };
}

/**
 * Einstein summation: `einsum("ij,jk->ik", a, b)` is a matrix product, `einsum("ii", a)` a
 * trace, `einsum("...ij,...jk->...ik", a, b)` a batched product with broadcast batch axes,
 * and any number of operands may be given.
 *
 * ```ts
 * import { numpy as np } from "../mod.ts";
 * const a = np.array([[1, 2], [3, 4]]);
 * np.einsum("ii->", a).item(); // 5
 * np.einsum("ij,jk,kl->il", a, a, a).toArray(); // a @ a @ a
 * ```
 */
export function einsum(spec: string, ...operands: ArrayInput[]): Array {
  if (operands.length === 0) throw new AdjointError(OP, "needs at least one operand");
  const ops = promoteArgs(OP, operands.map(asArray));
  const [labels, out] = parse(spec, ops);
  let terms = ops.map((x, i) => takeDiagonals({ x, labels: labels[i] }, i));
  // Size-1 axes broadcast against the other operands: drop them where another size is known.
  const size = new Map<string, number>();
  terms.forEach((t, i) =>
    t.labels.forEach((c, k) => {
      const n = t.x.shape[k], known = size.get(c);
      if (known !== undefined && known !== n && known !== 1 && n !== 1) {
        throw new AdjointError(
          OP,
          `"${c.startsWith(".") ? "..." : c}" has size ${known} in an earlier operand and ${n} ` +
            `in operand ${i}`,
        );
      }
      if (known === undefined || known === 1) size.set(c, n);
    })
  );
  terms = terms.map((t) => {
    const drop = range(t.labels.length).filter((k) =>
      t.x.shape[k] === 1 && size.get(t.labels[k])! > 1
    );
    if (!drop.length) return t;
    return {
      x: st.reshape(t.x, t.x.shape.filter((_, k) => !drop.includes(k))),
      labels: t.labels.filter((_, k) => !drop.includes(k)),
    };
  });
  const neededAfter = (i: number) =>
    new Set([...out, ...terms.slice(i + 1).flatMap((t) => t.labels)]);
  let acc = sumUnless(terms[0], (c) => neededAfter(0).has(c));
  for (let i = 1; i < terms.length; i++) {
    const later = neededAfter(i);
    const b = sumUnless(terms[i], (c) => later.has(c) || acc.labels.includes(c));
    acc = sumUnless(acc, (c) => later.has(c) || b.labels.includes(c));
    acc = contract(acc, b, (c) => later.has(c));
  }
  acc = sumUnless(acc, (c) => out.includes(c));
  return st.transpose(acc.x, out.map((c) => acc.labels.indexOf(c)));
}
