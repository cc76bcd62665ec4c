/**
 * Sums of zero-padded parts as one concatenate. Reverse mode transposes each slice of a value
 * into a pad of its cotangent with zeros, and adds the pads: the gradient of an LSTM's gate
 * matrix, split into four gates, is `pad(g0) + pad(g1) + pad(g2) + pad(g3)`, four copies into the
 * full shape and three sums of it. When the parts tile one axis (each starts where the one
 * before it ends, all lie at the same place along the other axes), the sum is their
 * concatenate, padded by what lies around them: `concatenate(g0 + 0, ..., g3 + 0)`. Each part
 * keeps its `+ 0`, so the result has the sum's bits (a -0 part becomes +0 there as in the sum);
 * fusion then stores the parts from the loop computing them (fusion.ts).
 * @module
 */
import { ConcreteArray } from "../array.ts";
import { ShapedArray } from "../aval.ts";
import { allocTyped, type DType, isFloat } from "../dtype.ts";
import { type Atom, Jaxpr, JaxprEqn, Literal, paramsOf, Var } from "../jaxpr.ts";
import { addP } from "../primitives/elementwise.ts";
import { broadcastInDimP, concatenateP, padP } from "../primitives/structural.ts";

/** A part of a sum: a value placed at `lo` (and `hi` before the end) of the sum's shape. */
interface Part {
  readonly value: Atom;
  readonly lo: readonly number[];
  readonly hi: readonly number[];
}

/** The part a pad equation places: zeros around its operand, none between its elements. */
function padPart(e: JaxprEqn): Part | null {
  const { lo, hi, interior, value } = paramsOf(e, padP);
  const plain = value === 0 && interior.every((n) => n === 0) &&
    [...lo, ...hi].every((n) => n >= 0);
  return plain ? { value: e.inputs[0], lo, hi } : null;
}

/**
 * `parts` in order along axis `d` when they tile a run of it there (each starting where the
 * previous one ends, all at the same place along every other axis), else null.
 */
function tiling(parts: readonly Part[], d: number): Part[] | null {
  const rank = parts[0].lo.length;
  const others = (p: Part) => [...p.lo, ...p.hi].filter((_, i) => i % rank !== d).join();
  if (!parts.every((p) => others(p) === others(parts[0]))) return null;
  const sorted = [...parts].sort((a, b) => a.lo[d] - b.lo[d]);
  const adjacent = sorted.every((p, i) =>
    i === 0 || p.lo[d] === sorted[i - 1].lo[d] + sorted[i - 1].value.aval.shape[d]
  );
  return adjacent ? sorted : null;
}

/** A rank-0 zero of `dtype`, as a literal. */
function zeroOf(dtype: DType): Literal {
  return new Literal(ConcreteArray.fromHost(allocTyped(dtype, 1), [], dtype, "ref"), 0);
}

/** The equations computing `out` as the concatenate of `parts` (in order) along `d`, padded. */
function joined(parts: readonly Part[], d: number, out: Var): JaxprEqn[] {
  // Each part plus a broadcast zero of its shape, one broadcast per shape.
  const zeros = new Map<string, JaxprEqn>();
  const zerosOf = ({ aval }: Atom): JaxprEqn => {
    const key = aval.shape.join();
    const known = zeros.get(key);
    if (known) return known;
    const shape = [...aval.shape];
    const e = new JaxprEqn(broadcastInDimP, [zeroOf(aval.dtype)], { shape, dims: [] }, [
      new Var(aval),
    ]);
    zeros.set(key, e);
    return e;
  };
  const sums = parts.map((p) =>
    new JaxprEqn(addP, [p.value, zerosOf(p.value).outBinders[0]], {}, [new Var(p.value.aval)])
  );
  const kept = [...zeros.values(), ...sums];
  const inputs = sums.map((e) => e.outBinders[0]);
  const lo = parts[0].lo;
  const hi = parts[0].hi.map((n, i) => (i === d ? parts[parts.length - 1].hi[d] : n));
  if ([...lo, ...hi].every((n) => n === 0)) {
    return [...kept, new JaxprEqn(concatenateP, inputs, { dimension: d }, [out])];
  }
  const shape = out.aval.shape.map((n, i) => n - lo[i] - hi[i]);
  const whole = new Var(new ShapedArray(shape, out.aval.dtype));
  return [
    ...kept,
    new JaxprEqn(concatenateP, inputs, { dimension: d }, [whole]),
    new JaxprEqn(padP, [whole], { lo, hi, interior: lo.map(() => 0), value: 0 }, [out]),
  ];
}

/**
 * `j` with each sum of zero-padded parts that tile one axis (a tree of `add`s of pads, each
 * used only by the sum) computed as their concatenate (see the module doc); the pads and
 * partial sums it replaces are left to dead-code elimination.
 */
export function joinPaddedParts(j: Jaxpr): Jaxpr {
  const uses = new Map<Atom, number>();
  const use = (a: Atom) => uses.set(a, (uses.get(a) ?? 0) + 1);
  j.eqns.forEach((e) => e.inputs.forEach(use));
  j.outs.forEach(use);
  const partsOf = new Map<Atom, Part[]>();
  const inner = new Set<Var>();
  for (const e of j.eqns) {
    if (e.prim === padP) {
      const part = padPart(e);
      if (part) partsOf.set(e.outBinders[0], [part]);
    } else if (e.prim === addP && isFloat(e.outBinders[0].aval.dtype)) {
      const sides = e.inputs.map((a) => (uses.get(a) === 1 ? partsOf.get(a) : undefined));
      if (sides.every((s) => s !== undefined)) {
        partsOf.set(e.outBinders[0], sides.flat());
        e.inputs.forEach((a) => inner.add(a as Var));
      }
    }
  }
  const eqns = j.eqns.flatMap((e) => {
    const out = e.outBinders[0];
    const parts = e.prim === addP && !inner.has(out) ? partsOf.get(out) : undefined;
    if (!parts) return [e];
    for (let d = 0; d < out.aval.ndim; d++) {
      const tiles = tiling(parts, d);
      if (tiles) return joined(tiles, d, out);
    }
    return [e];
  });
  return new Jaxpr(j.constVars, j.consts, j.inBinders, eqns, j.outs);
}
