/**
 * Static memory planning for a kernel program: every intermediate value gets an offset in one
 * arena, chosen from its lifetime (the kernels between its definition and its last use), so
 * values that are never alive together share memory and a program allocates nothing per call
 * beyond its outputs. Reshapes alias their input; elementwise kernels may write an output in place
 * over an input that dies there, when every read of that input comes before the output's store
 * (`inPlaceSafe`).
 * @module
 */
import { isView, movesElements } from "../../core/views.ts";
import { type Atom, type Jaxpr, Var } from "../../core/jaxpr.ts";
import type { Kernel, KernelProgram } from "./fusion.ts";

/** Where each planned value lives. */
export interface MemoryPlan {
  /** Byte offset in the arena of each intermediate value. */
  offsets: Map<Var, number>;
  /** Values sharing another value's storage (reshape outputs). */
  aliases: Map<Var, Var>;
  /** Arena size in bytes. */
  arenaBytes: number;
}

const BYTES = { float32: 4, float64: 8, int32: 4, bool: 1 } as const;

/** Bytes of one element of `v` as planned (bools take one byte). */
export function elementBytes(v: Var): number {
  return BYTES[v.aval.dtype];
}
const ALIGN = 16;

/** Storage bytes of a value, rounded up for SIMD access. */
export function byteSize(v: Var): number {
  const n = v.aval.size * elementBytes(v);
  return Math.ceil(n / ALIGN) * ALIGN;
}

interface Block {
  offset: number;
  size: number;
}

/** Plans the arena for `program`; program inputs and outputs are not placed in it. */
export function planMemory(program: KernelProgram): MemoryPlan {
  const { jaxpr, kernels } = program;
  const external = externalValues(jaxpr);
  const aliases = new Map<Var, Var>();
  const root = (v: Var): Var => (aliases.has(v) ? root(aliases.get(v)!) : v);
  const lastUse = new Map<Var, number>();
  kernels.forEach((k, i) => {
    if (k.kind === "alias") {
      aliases.set(k.outputs[0] ?? k.eqns[0].outBinders[0], k.eqns[0].inputs[0] as Var);
    }
    for (const v of k.inputs) lastUse.set(root(v), i);
  });
  for (const a of jaxpr.outs) if (a instanceof Var) lastUse.set(root(a), Infinity);

  const offsets = new Map<Var, number>();
  let free: Block[] = [];
  let top = 0;
  const allocate = (size: number): number => {
    const i = free.findIndex((b) => b.size >= size);
    if (i < 0) {
      top += size;
      return top - size;
    }
    const b = free[i];
    free.splice(i, 1);
    if (b.size > size) free.push({ offset: b.offset + size, size: b.size - size });
    return b.offset;
  };
  const release = (offset: number, size: number) => {
    free.push({ offset, size });
    free = coalesce(free);
  };
  kernels.forEach((k, i) => {
    if (k.kind === "alias") return;
    const dying = [...new Set(k.inputs.map(root))].filter((v) =>
      lastUse.get(v) === i && offsets.has(v)
    );
    for (const out of k.outputs) {
      if (external.has(out) || lastUse.get(out) === undefined) continue;
      const inPlace = dying.find((r) =>
        k.inputs.every((v) => root(v) !== r || inPlaceSafe(k, v, out))
      );
      if (inPlace) {
        offsets.set(out, offsets.get(inPlace)!);
        dying.splice(dying.indexOf(inPlace), 1);
      } else offsets.set(out, allocate(byteSize(out)));
    }
    for (const v of dying) release(offsets.get(v)!, byteSize(v));
  });
  return { offsets, aliases, arenaBytes: top };
}

/**
 * Whether `k` reads `v` through a transpose, slice, reversal or pad, directly or after other
 * views.
 */
function readsMoved(k: Kernel, v: Var): boolean {
  const viewsOfV = new Set<Atom>([v]);
  for (const e of k.eqns) {
    if (!isView(e.prim.name) || !viewsOfV.has(e.inputs[0])) continue;
    if (movesElements(e.prim.name)) return true;
    viewsOfV.add(e.outBinders[0]);
  }
  return false;
}

/**
 * Whether kernel `k` may write its output `out` over its input `v`: `k` is a fused loop without
 * a reduction and `v` has `out`'s size and element width, so element i of `out` overwrites just
 * element i of `v`, the only element of `v` it depends on (so no transpose or slice of `v` is
 * read: it would read other elements); and no equation reads `v` (directly or through a view)
 * after the one defining `out`. The code
 * generators load an input at the first equation reading it and store an output at the equation
 * defining it, so in a kernel with several outputs a read after that store would see the new
 * value: `v7 = neg(1); v8 = div(1, v5)` with v7 over v5 divided by -1 instead of by v5.
 */
export function inPlaceSafe(k: Kernel, v: Var, out: Var): boolean {
  if (k.kind !== "fused" || k.eqns.some((e) => e.prim.properties.fusibleReduction)) return false;
  if (elementBytes(v) !== elementBytes(out) || v.aval.size !== out.aval.size) return false;
  if (readsMoved(k, v)) return false;
  const defined = k.eqns.findIndex((e) => e.outBinders.includes(out));
  return k.eqns.findLastIndex((e) => e.inputs.includes(v)) <= defined;
}

function externalValues(jaxpr: Jaxpr): Set<Var> {
  const ext = new Set<Var>([...jaxpr.constVars, ...jaxpr.inBinders]);
  for (const a of jaxpr.outs) if (a instanceof Var) ext.add(a);
  return ext;
}

function coalesce(blocks: Block[]): Block[] {
  const sorted = [...blocks].sort((a, b) => a.offset - b.offset);
  const out: Block[] = [];
  for (const b of sorted) {
    const last = out[out.length - 1];
    if (last && last.offset + last.size === b.offset) last.size += b.size;
    else out.push({ ...b });
  }
  return out;
}
