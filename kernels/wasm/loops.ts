/**
 * Compiled loops on the wasm backend. Inside a jitted program a `scan` runs its body's compiled
 * kernel program once per step: the body reads each step's slice of the scanned inputs in place
 * (a view of their memory, no copy), each step's outputs are copied into their stacked results
 * allocated once, and each carry is freed as soon as the next one is made, so a long loop holds
 * two carries, not one per step. A `while` loop frees its carries the same way. A scan whose
 * body is one elementwise kernel (kernels/lowering/loop_fusion.ts) runs instead as one kernel
 * iterating every step in registers, once it is compiled; threads split its elements, each range
 * running all the steps.
 * @module
 */
import { ConcreteArray } from "../../core/array.ts";
import { ShapedArray } from "../../core/aval.ts";
import type { Backend, CompiledProgram } from "../../core/backend.ts";
import type { Jaxpr } from "../../core/jaxpr.ts";
import type { ImplRule } from "../../core/primitive.ts";
import type { ScanParams } from "../../core/control/scan.ts";
import { type FusedScan, type LoopFusionSwitch, loopReads } from "../lowering/loop_fusion.ts";
import type { WhileParams } from "../../core/control/while_loop.ts";
import { Block, WasmBuffer } from "./memory.ts";
import { ELEMENT_BYTES, type WasmRuntime } from "./runtime.ts";

/** What the loop rules need from the program running them. */
export interface LoopContext {
  /** The wasm runtime. */
  rt: WasmRuntime;
  /** The wasm backend. */
  backend: Backend;
  /** The compiled program of a loop body (made once per body). */
  program: (jaxpr: Jaxpr) => CompiledProgram;
  /** `x` as a wasm array (a copy if it lives on another backend). */
  toWasm: (x: ConcreteArray) => ConcreteArray;
  /** The loop kernel of a scan (made once per body and direction), `null` where it has none. */
  loopKernel: (p: ScanParams) => CompiledLoop | null;
}

/** A scan's loop kernel, compiled. */
export interface CompiledLoop {
  /** What it computes. */
  loop: FusedScan;
  /** The body's consts, on wasm. */
  consts: ConcreteArray[];
  /**
   * Runs the compiled kernel on the addresses of its arrays for `steps` steps (over threads when
   * the work is large enough); `null` until it is compiled.
   */
  kernel: () => ((addresses: number[], steps: number) => void) | null;
}

/** Loop fusion's switch and counts on wasm. */
export const loopFusion: LoopFusionSwitch = {
  enabled: true,
  fused: 0,
  stepwise: 0,
};

/** Bytes of an array of type `aval`. */
function bytesOf(aval: ShapedArray): number {
  return aval.size * ELEMENT_BYTES[aval.dtype];
}

/** Slice `i` of `x` along its leading axis, as an array of type `aval` reading `x`'s memory. */
function sliceView(x: ConcreteArray, aval: ShapedArray, i: number, backend: Backend) {
  const bytes = bytesOf(aval);
  const block = new Block((x.buffer as WasmBuffer).ptr + i * bytes, bytes);
  block.refs = Infinity;
  return new ConcreteArray(aval, new WasmBuffer(block), backend);
}

/** Copies `y` into slice `i` of `stacked`. */
function copyInto(rt: WasmRuntime, y: ConcreteArray, stacked: ConcreteArray, i: number): void {
  const bytes = bytesOf(y.aval);
  const src = (y.buffer as WasmBuffer).ptr, dst = (stacked.buffer as WasmBuffer).ptr + i * bytes;
  rt.heap.u8.copyWithin(dst, src, src + bytes);
}

/** A fresh wasm array with the contents of `x`. */
function copied(ctx: LoopContext, x: ConcreteArray): ConcreteArray {
  const out = new ConcreteArray(x.aval, ctx.rt.allocFor(x.aval), ctx.backend);
  copyInto(ctx.rt, x, out, 0);
  return out;
}

/** Frees each of `xs` that is not one of the loop's operands `args`. */
function freeUnlessIn(xs: ConcreteArray[], args: readonly ConcreteArray[]): void {
  for (const x of xs) if (!args.includes(x)) x[Symbol.dispose]();
}

/** Whether `x` is a view made by `sliceView` (memory the loop does not own). */
function isView(x: ConcreteArray): boolean {
  return (x.buffer as WasmBuffer).block.refs === Infinity;
}

// A body's compiled program returns results its caller owns (distinct handles, also for a result
// that is an input or a constant), so a loop frees every step's results once it is done with them.

/** Fresh wasm arrays for the stacked `ys` of a scan. */
function stackedYs(ctx: LoopContext, p: ScanParams): ConcreteArray[] {
  return p.jaxpr.outs.slice(p.numCarry).map((y) => {
    const aval = new ShapedArray([p.length, ...y.aval.shape], y.aval.dtype);
    return new ConcreteArray(aval, ctx.rt.allocFor(aval), ctx.backend);
  });
}

const address = (x: ConcreteArray) => (x.buffer as WasmBuffer).ptr;

/** `scan` as its loop kernel, or `null` where it has none (yet). */
function runFused(ctx: LoopContext, p: ScanParams, args: ConcreteArray[]): ConcreteArray[] | null {
  const compiled = loopFusion.enabled ? ctx.loopKernel(p) : null;
  const kernel = compiled?.kernel();
  if (!compiled || !kernel) return null;
  const { loop, consts } = compiled;
  const init = args.slice(p.numConsts, p.numConsts + p.numCarry);
  const ins = loopReads(loop, p, args, consts);
  const ys = stackedYs(ctx, p);
  const carry = init.map((c) => new ConcreteArray(c.aval, ctx.rt.allocFor(c.aval), ctx.backend));
  kernel([...ins, ...ys, ...init, ...carry].map(address), p.length);
  loopFusion.fused++;
  return [...carry, ...ys];
}

/** `scan` as a loop over its body's compiled program. */
function scanLoop(ctx: LoopContext, p: ScanParams, args: ConcreteArray[]): ConcreteArray[] {
  const fused = runFused(ctx, p, args);
  if (fused) return fused;
  loopFusion.stepwise++;
  const run = ctx.program(p.jaxpr);
  const nc = p.numConsts, nk = p.numCarry;
  const consts = args.slice(0, nc), xs = args.slice(nc + nk);
  const xAvals = xs.map((x) => new ShapedArray(x.shape.slice(1), x.dtype));
  const ys = stackedYs(ctx, p);
  let carry = args.slice(nc, nc + nk);
  for (let t = 0; t < p.length; t++) {
    const i = p.reverse ? p.length - 1 - t : t;
    const views = xs.map((x, k) => sliceView(x, xAvals[k], i, ctx.backend));
    const outs = run([...consts, ...carry, ...views]).map(ctx.toWasm);
    const stepYs = outs.slice(nk);
    stepYs.forEach((y, k) => copyInto(ctx.rt, y, ys[k], i));
    freeUnlessIn([...carry, ...stepYs], args);
    carry = outs.slice(0, nk);
  }
  // A carry that is a slice of an input (a body returning its x) must outlive the loop.
  return [...carry.map((c) => (isView(c) ? copied(ctx, c) : c)), ...ys];
}

/** `while` as a loop over its condition's and body's compiled programs. */
function whileLoop(ctx: LoopContext, p: WhileParams, args: ConcreteArray[]): ConcreteArray[] {
  const cond = ctx.program(p.cond), body = ctx.program(p.body);
  const nc = p.numCondConsts, nb = p.numBodyConsts;
  const cc = args.slice(0, nc), bc = args.slice(nc, nc + nb);
  let carry = args.slice(nc + nb);
  for (;;) {
    const [pred] = cond([...cc, ...carry]).map(ctx.toWasm);
    const go = pred.dataSync()[0] !== 0;
    pred[Symbol.dispose]();
    if (!go) return carry;
    const next = body([...bc, ...carry]).map(ctx.toWasm);
    freeUnlessIn(carry, args);
    carry = next;
  }
}

/** The wasm executor's implementations of loop primitives, by primitive name. */
export function loopImpls(ctx: LoopContext): Record<string, ImplRule> {
  const scan: ImplRule<ScanParams> = (args, p) => scanLoop(ctx, p, args as ConcreteArray[]);
  const loop: ImplRule<WhileParams> = (args, p) => whileLoop(ctx, p, args as ConcreteArray[]);
  return { scan, while: loop };
}
