/**
 * Fusion across a loop's boundary: a `scan` whose body is one elementwise fused kernel over one
 * iteration space (each carry updated elementwise, each step's slice of `xs` read and each `y`
 * written elementwise, no reduction, no gemm) runs as one kernel whose every element iterates all
 * the steps in registers, reading `xs[t]` and writing `ys[t]` at the step's stride, instead of
 * the body's kernel launched once per step. Each element then runs the same operations in the
 * same order as the per-step loop, so the results are the same bits.
 * @module
 */
import { type Atom, type Jaxpr, Var } from "../../core/jaxpr.ts";
import { shapeEqual } from "../../core/shape.ts";
import { isView } from "../../core/views.ts";
import { padP } from "../../core/primitives/structural.ts";
import type { ScanParams } from "../../core/control/scan.ts";
import { fuse, type Kernel } from "./fusion.ts";
import { type LoopKernel, loopKernelToString } from "./kernel_ir.ts";
import { lowerKernel } from "./lower_kernel.ts";
import { config } from "../../core/config.ts";
import { verifyFusedScan } from "./verify_loop.ts";

/** Where a value a loop kernel reads from memory comes from. */
export type LoopRead =
  /** Operand `index` of the scan (one of its consts), the same every step. */
  | { kind: "operand"; index: number }
  /** Const `index` of the body jaxpr, the same every step. */
  | { kind: "bodyConst"; index: number }
  /** The step's slice of the scan's scanned input `index`. */
  | { kind: "xs"; index: number };

/**
 * A scan whose whole loop is one kernel: its body as one loop kernel of the kernel IR over the
 * body's space, run for every step of every element, its carries held in registers across steps.
 */
export interface FusedScan {
  /**
   * The body's loop kernel. Its inputs are the values read from memory (`reads`, in order), then
   * one per carry (its value at the step's start); its outputs the `ys`, then the carries' next
   * values that are not also a `y`.
   */
  body: LoopKernel;
  /** For each of the body's first inputs, where it comes from. */
  reads: LoopRead[];
  /** Per carry: the body's input holding it and the body's output of its next value. */
  carries: { input: number; output: number }[];
  /** How many of the body's outputs are the `ys` (the first ones). */
  ys: number;
}

/**
 * The arrays a scan's loop kernel reads from memory, in the order of `loop.reads`: the scan's
 * operands `args` (consts, initial carries, scanned inputs) and the body's constants `bodyConsts`.
 */
export function loopReads<T>(
  loop: FusedScan,
  p: ScanParams,
  args: readonly T[],
  bodyConsts: readonly T[],
): T[] {
  const xs = args.slice(p.numConsts + p.numCarry);
  return loop.reads.map((r) =>
    r.kind === "operand" ? args[r.index] : r.kind === "xs" ? xs[r.index] : bodyConsts[r.index]
  );
}

/**
 * A backend's loop fusion switch (tests turn it off to compare the per-step loop) and how many
 * scans ran as one loop kernel and how many step by step.
 */
export interface LoopFusionSwitch {
  /** Whether scans with a fused loop run as one kernel. */
  enabled: boolean;
  /** Scans run as one loop kernel. */
  fused: number;
  /** Scans run step by step. */
  stepwise: number;
}

/** The values a kernel reads through views (broadcasts, transposes, slices, pads). */
function viewed(k: Kernel): Set<Atom> {
  return new Set(k.eqns.filter((e) => isView(e.prim.name)).map((e) => e.inputs[0]));
}

/**
 * `body` as one elementwise kernel: its fused kernels, when they all run over one space without
 * a reduction and read each other's results where the space reads them (not through a view),
 * chained into one whose intermediate values stay in registers (a value stored in its dtype and
 * loaded again is the same value). Its outputs are the body's.
 */
function elementwiseKernel(body: Jaxpr): Kernel | null {
  const { kernels } = fuse(body, { gemmEpilogues: true });
  if (kernels.length === 0 || kernels.some((k) => k.kind !== "fused")) return null;
  const space = kernels[0].space!;
  if (!kernels.every((k) => shapeEqual(k.space!, space))) return null;
  const eqns = [...new Set(kernels.flatMap((k) => k.eqns))];
  // (The loop kernel's renderers have no padded loads.)
  if (eqns.some((e) => e.prim.properties.fusibleReduction || e.prim === padP)) return null;
  const defined = new Set(eqns.flatMap((e) => e.outBinders));
  const chained: Kernel = { kind: "fused", eqns, inputs: [], outputs: [], space };
  if ([...viewed(chained)].some((a) => a instanceof Var && defined.has(a))) return null;
  const read = eqns.flatMap((e) => e.inputs);
  const inputs = read.filter((a): a is Var => a instanceof Var && !defined.has(a));
  const outputs = body.outs.filter((a): a is Var => a instanceof Var && defined.has(a));
  return { ...chained, inputs: [...new Set(inputs)], outputs: [...new Set(outputs)] };
}

/**
 * The fused loop of a scan with params `p` whose body, simplified, is `body`; `null` where the
 * body is not one elementwise kernel over the carries' and the steps' common iteration space.
 */
export function fusedScan(p: ScanParams, body: Jaxpr): FusedScan | null {
  const k = elementwiseKernel(body);
  if (!k) return null;
  const space = k.space!;
  const nc = p.numConsts, nk = p.numCarry;
  const outs = body.outs;
  if (!outs.every((a) => a instanceof Var && k.outputs.includes(a))) return null;
  const stepping = body.inBinders.slice(nc);
  // A carry or slice is read where the space reads it, never through a broadcast view.
  const views = viewed(k);
  const perElement = (v: Var) => shapeEqual(v.aval.shape, space) && !views.has(v);
  if (![...stepping, ...(outs as Var[])].every(perElement)) return null;
  const carried = stepping.slice(0, nk);
  const memory = k.inputs.filter((v) => !carried.includes(v));
  const reads = memory.map((v): LoopRead => {
    const i = body.inBinders.indexOf(v);
    if (i < 0) return { kind: "bodyConst", index: body.constVars.indexOf(v) };
    return i < nc ? { kind: "operand", index: i } : { kind: "xs", index: i - nc - nk };
  });
  const ys = outs.slice(nk) as Var[];
  if (new Set(ys).size !== ys.length) return null;
  const next = outs.slice(0, nk) as Var[];
  const outputs = [...new Set([...ys, ...next])];
  const lowered = lowerKernel({ ...k, inputs: [...memory, ...carried], outputs });
  const carries = carried.map((_, j) => ({
    input: memory.length + j,
    output: outputs.indexOf(next[j]),
  }));
  const loop = { body: lowered, reads, carries, ys: ys.length };
  if (config.verifyPrograms) verifyFusedScan(loop, p, body);
  return loop;
}

/** A fused scan as text: where its inputs come from, its carries, and its body's loop kernel. */
export function fusedScanToString(loop: FusedScan): string {
  const from = (r: LoopRead) => r.kind === "xs" ? `xs${r.index}[t]` : `${r.kind}${r.index}`;
  const reads = loop.reads.map((r, i) => `in${i} = ${from(r)}`);
  const carries = loop.carries.map((c, j) => `carry${j}: in${c.input} <- out${c.output}`);
  const ys = Array.from({ length: loop.ys }, (_, j) => `ys${j}[t] = out${j}`);
  return [[...reads, ...carries, ...ys].join(", "), loopKernelToString(loop.body)].join("\n");
}
