/**
 * Fusion: groups a jaxpr's equations into kernels. Elementwise chains become one loop, with
 * broadcasts, transposes, slices and reversals that keep the innermost axis contiguous, and
 * pads without interior padding, read as (strided, padded) views of memory (never
 * materialised), and an optional reduction at the end;
 * an elementwise equation that extends no chain joins a sibling loop reading the same value
 * (relu and its derivative mask: one loop, two outputs); a reduction that ends no chain is a
 * loop of its own; reshapes are aliases; every other primitive is a kernel of its own, except
 * that a backend may ask for gemm epilogues: a dot_general followed by a bias add and relu,
 * possibly through layout changes (epilogues.ts), is then one kernel. A concatenate of values
 * one loop computes over its whole space is stored by that loop, a part at a time. The result, a
 * `KernelProgram`, is what the wasm and WebGPU code generators emit code for.
 * @module
 */
import type { ShapedArray } from "../../core/aval.ts";
import { type Atom, type Jaxpr, JaxprEqn, Literal, paramsOf, Var } from "../../core/jaxpr.ts";
import type { Params } from "../../core/primitive.ts";
import { broadcastInDimP, padP } from "../../core/primitives/structural.ts";
import { padIsView } from "../../core/padded_view.ts";
import {
  MOVING_VIEWS,
  STRIDED_VIEWS,
  type StridedViewName,
  type ViewRule,
} from "../../core/strided_views.ts";
import { shapeEqual } from "../../core/shape.ts";
import { type Epilogue, findEpilogues } from "./epilogues.ts";

/** What a kernel does. */
export type KernelKind =
  | "fused" // elementwise chain over one iteration space, optionally ending in a reduction
  | "alias" // reshape: the output is the input's buffer
  | "gemm" // dot_general, layout changes, an add (bias) and optionally relu
  | "op"; // one primitive on a prebuilt kernel

/** One kernel of a program. */
export interface Kernel {
  /** What the kernel does. */
  kind: KernelKind;
  /** Equations in evaluation order (the views it reads included, for fused kernels). */
  eqns: JaxprEqn[];
  /** Values read from memory. */
  inputs: Var[];
  /** Values written to memory (used by later kernels or returned). */
  outputs: Var[];
  /** Iteration space of a fused kernel (the shape before any final reduction). */
  space?: readonly number[];
  /** What a gemm kernel does after its dot_general (its first equation). */
  epilogue?: Epilogue;
}

/** A jaxpr split into kernels, in execution order. */
export interface KernelProgram {
  /** The jaxpr the program computes. */
  jaxpr: Jaxpr;
  /** Kernels in execution order. */
  kernels: Kernel[];
}

interface Group {
  kernel: Kernel;
  index: number;
  reduced: boolean;
}

const outAval = (e: JaxprEqn): ShapedArray => e.outBinders[0].aval;

/** How to fuse. */
export interface FuseOptions {
  /** Whether a dot_general takes its bias add and relu into its kernel (kind "gemm"). */
  gemmEpilogues?: boolean;
}

/** Splits `jaxpr` into kernels. */
export function fuse(jaxpr: Jaxpr, options: FuseOptions = {}): KernelProgram {
  const epilogues = options.gemmEpilogues ? findEpilogues(jaxpr) : new Map<JaxprEqn, Epilogue>();
  const absorbed = new Set<JaxprEqn>(
    [...epilogues.values()].flatMap((ep) => [...ep.layout, ...ep.sources, ...ep.eqns]),
  );
  const groups: Group[] = [];
  const producer = new Map<Var, Group>();
  /** Each view's equations, in order, from a value in memory (or a literal) to the view. */
  const views = new Map<Var, JaxprEqn[]>();
  const vars = (e: JaxprEqn) => e.inputs.filter((a): a is Var => a instanceof Var);
  /** Whether `v` can be read by a kernel at position `index` (views: their operand can). */
  const ready = (v: Var, index: number): boolean => {
    const g = producer.get(v);
    if (g) return g.index <= index;
    const chain = views.get(v);
    const src = chain?.[0].inputs[0];
    return !(src instanceof Var) || ready(src, index);
  };
  /** The values in memory that `e`'s views read. */
  const viewSources = (e: JaxprEqn): Atom[] =>
    vars(e).flatMap((v) => (views.has(v) ? [views.get(v)![0].inputs[0]] : []));
  const newGroup = (kind: KernelKind, e: JaxprEqn, space?: readonly number[]): Group => {
    const g = {
      kernel: { kind, eqns: [e], inputs: [], outputs: [], space },
      index: groups.length,
      reduced: false,
    };
    groups.push(g);
    return g;
  };
  /** The values `e` reads, and the ones in memory its views read. */
  const reads = (e: JaxprEqn): Var[] => [
    ...vars(e),
    ...viewSources(e).filter((a): a is Var => a instanceof Var),
  ];
  /** Fused groups by the values (and views) they read: where a sibling equation may join. */
  const readers = new Map<Var, Group[]>();
  const addReader = (e: JaxprEqn, g: Group) => {
    for (const v of reads(e)) {
      const groups = readers.get(v);
      if (!groups) readers.set(v, [g]);
      else if (groups[groups.length - 1] !== g) groups.push(g);
    }
  };
  const viewsOf = (e: JaxprEqn): JaxprEqn[] => vars(e).flatMap((v) => views.get(v) ?? []);
  // A pad written to memory is read from there since: a later kernel reading both its chain and
  // a view of its memory would compose that view over the pad (kernel_ir.ts has one padding
  // per load). Strided chains compose, and stay views.
  const materialize = (v: Var) => {
    const chain = views.get(v);
    if (!chain || producer.has(v)) return;
    const g = newGroup("fused", chain[0], v.aval.shape);
    g.kernel.eqns.push(...chain.slice(1));
    producer.set(v, g);
    if (chain[chain.length - 1].prim === padP) views.delete(v);
  };

  for (const e of jaxpr.eqns) {
    const name = e.prim.name;
    if (absorbed.has(e)) continue;
    if (readsAsView(e)) {
      const src = e.inputs[0];
      let inner = src instanceof Var && !producer.has(src) ? views.get(src) : undefined;
      // A pad is the last view of a chain, and reads memory: a view of a pad, or a pad of a
      // broadcast constant, reads its operand written first.
      const last = inner?.[inner.length - 1];
      if (
        inner && (last!.prim === padP || (e.prim === padP && inner[0].inputs[0] instanceof Literal))
      ) {
        materialize(src as Var);
        inner = undefined;
      }
      const broadcasts = inner?.length === 1 && inner[0].prim === e.prim &&
        e.prim === broadcastInDimP;
      const chain = !inner ? [e] : broadcasts ? [composeBroadcasts(inner[0], e)] : [...inner, e];
      views.set(e.outBinders[0], chain);
      continue;
    }
    if (e.prim.properties.elementwise) {
      const space = outAval(e).shape;
      const open = (g: Group | undefined): g is Group =>
        g !== undefined && g.kernel.kind === "fused" && !g.reduced &&
        shapeEqual(g.kernel.space!, space) && vars(e).every((v) => ready(v, g.index)) &&
        // A view reads memory another kernel wrote, never a value of this kernel's loop.
        viewSources(e).every((src) => !(src instanceof Var) || producer.get(src) !== g);
      const target = vars(e).map((v) => producer.get(v)).find(open) ??
        reads(e).flatMap((v) => readers.get(v) ?? []).find(open);
      const g = target ?? newGroup("fused", e, space);
      if (target) target.kernel.eqns.push(e);
      for (const view of viewsOf(e)) {
        if (!g.kernel.eqns.includes(view)) g.kernel.eqns.splice(g.kernel.eqns.length - 1, 0, view);
      }
      for (const v of e.outBinders) producer.set(v, g);
      addReader(e, g);
      continue;
    }
    if (e.prim.properties.fusibleReduction && e.inputs[0] instanceof Var) {
      const v = e.inputs[0];
      const producedBy = producer.get(v);
      // (A concatenate the loop stores is not over its space.)
      const open = producedBy?.kernel.kind === "fused" && !producedBy.reduced &&
        shapeEqual(producedBy.kernel.space!, v.aval.shape);
      const g = open ? producedBy : newGroup("fused", e, v.aval.shape);
      if (open) g.kernel.eqns.push(e);
      else if (views.has(v)) g.kernel.eqns.unshift(...views.get(v)!);
      g.reduced = true;
      producer.set(e.outBinders[0], g);
      continue;
    }
    // A concatenate of values one loop computes over its whole space is stored by that loop, a
    // part at a time, instead of copied by a kernel of its own; its result (an empty one too) is
    // never over that space, so no later operation of the loop reads it.
    const parts = name === "concatenate" ? producer.get(e.inputs[0] as Var) : undefined;
    const stored = parts?.kernel.kind === "fused" &&
      !shapeEqual(outAval(e).shape, parts.kernel.space!) &&
      e.inputs.every((a) =>
        a instanceof Var && producer.get(a) === parts &&
        shapeEqual(a.aval.shape, parts.kernel.space!)
      );
    if (parts && stored) {
      parts.kernel.eqns.push(e);
      producer.set(e.outBinders[0], parts);
      continue;
    }
    const epilogue = epilogues.get(e);
    // What the kernel reads from memory, its epilogue's operands too, must be there.
    const own = epilogue
      ? [...epilogue.layout, ...epilogue.sources, ...epilogue.views, ...epilogue.eqns]
      : [];
    const inside = new Set(own.flatMap((x) => x.outBinders));
    for (const x of [e, ...own]) for (const v of vars(x)) if (!inside.has(v)) materialize(v);
    const g = newGroup(name === "reshape" ? "alias" : epilogue ? "gemm" : "op", e);
    if (epilogue) {
      g.kernel.epilogue = epilogue;
      const { layout, sources, views, eqns } = epilogue;
      g.kernel.eqns.push(...layout, ...sources, ...views, ...eqns);
    }
    for (const x of [e, ...(epilogue?.layout ?? []), ...(epilogue?.eqns ?? [])]) {
      for (const v of x.outBinders) producer.set(v, g);
    }
  }
  for (const a of jaxpr.outs) if (a instanceof Var) materialize(a);
  const kernels = groups.map((g) => g.kernel);
  assignInputsAndOutputs(jaxpr, kernels, (v) => producer.get(v)?.kernel);
  return { jaxpr, kernels };
}

/**
 * Whether fused kernels read `e`'s result as a view of its operand (core/strided_views.ts,
 * padded_view.ts) instead of a copy: a broadcast always; a transpose, slice or reversal when
 * each element of its innermost axis is the operand's next one (or the same one), so vector
 * loops still load four consecutive elements (a reversal of an outer axis walks it backwards);
 * a pad without interior padding.
 */
function readsAsView(e: JaxprEqn): boolean {
  const name = e.prim.name;
  if (name === "broadcast_in_dim") return true;
  if (e.prim === padP) return e.inputs[0] instanceof Var && padIsView(paramsOf(e, padP));
  if (!MOVING_VIEWS.has(name) || !(e.inputs[0] instanceof Var)) return false;
  const rule = STRIDED_VIEWS[name as StridedViewName] as ViewRule<Params>;
  const { strides } = rule(e.inputs[0].aval, e.params, e.outBinders[0].aval);
  const last = strides[strides.length - 1] ?? 0;
  return last === 0 || last === 1;
}

/**
 * `broadcast_in_dim(broadcast_in_dim(x, s1, d1), s2, d2)` as one broadcast of `x`: axis i of `x`
 * lands on `d2[d1[i]]`. Fused kernels then read every view straight from memory.
 */
function composeBroadcasts(inner: JaxprEqn, outer: JaxprEqn): JaxprEqn {
  const d1 = paramsOf(inner, broadcastInDimP).dims, p2 = paramsOf(outer, broadcastInDimP);
  return new JaxprEqn(outer.prim, [inner.inputs[0]], {
    shape: p2.shape,
    dims: d1.map((j) => p2.dims[j]),
  }, outer.outBinders);
}

/** Inputs: values a kernel reads but does not define. Outputs: values others read or returned. */
function assignInputsAndOutputs(
  jaxpr: Jaxpr,
  kernels: Kernel[],
  producerOf: (v: Var) => Kernel | undefined,
): void {
  const needed = new Set<Var>(jaxpr.outs.filter((a): a is Var => a instanceof Var));
  for (const k of kernels) {
    const defined = new Set(k.eqns.flatMap((e) => e.outBinders));
    const inputs = new Set<Var>();
    for (const e of k.eqns) {
      for (const a of e.inputs) if (a instanceof Var && !defined.has(a)) inputs.add(a);
    }
    k.inputs = [...inputs];
    for (const v of inputs) needed.add(v);
  }
  for (const k of kernels) {
    k.outputs = k.eqns.flatMap((e) => e.outBinders).filter((v) =>
      needed.has(v) && producerOf(v) === k
    );
  }
}

/**
 * The names `programToString` gives atoms: `v0`, `v1`, ... in order of first appearance
 * (constants, then inputs, then kernel by kernel); literals print their value.
 */
export function programNames(p: KernelProgram): (a: Atom) => string {
  const names = new Map<Var, string>();
  const name = (a: Atom) =>
    a instanceof Literal ? String(a.value) : names.get(a) ?? names.set(a, `v${names.size}`).get(a)!;
  [...p.jaxpr.constVars, ...p.jaxpr.inBinders].forEach(name);
  for (const k of p.kernels) for (const e of k.eqns) [...e.outBinders, ...e.inputs].forEach(name);
  return name;
}

/** Prints a program: one line per kernel with its equations. */
export function programToString(p: KernelProgram): string {
  const name = programNames(p);
  return p.kernels.map((k, i) => {
    const body = k.eqns.map((e) =>
      `${e.outBinders.map(name).join(",")}=${e.prim.name}(${e.inputs.map(name).join(",")})`
    );
    return `k${i} ${k.kind}(${k.inputs.map(name).join(",")}) -> (${
      k.outputs.map(name).join(",")
    }): ${body.join("; ")}`;
  }).join("\n");
}
