/**
 * The verifier of fused scans (loop_fusion.ts), independent of how they were built: the body's
 * inputs are its memory reads and then one per carry; each read names an operand, body constant
 * or scanned input of the scan that exists and has the input's dtype and shape; each carry's
 * input and next-value output have the carry's dtype; the first outputs are the `ys` with their
 * dtypes; every carry, scanned slice and `y` is read or written at each point's own element (the
 * space's contiguous strides), as the renderers index them by step. `fusedScan` runs it when
 * `config.verifyPrograms` (on in `deno task test`), after the body's own IR check.
 * @module
 */
import type { ShapedArray } from "../../core/aval.ts";
import type { Jaxpr } from "../../core/jaxpr.ts";
import { shapeEqual, stridesOf } from "../../core/shape.ts";
import type { ScanParams } from "../../core/control/scan.ts";
import type { FusedScan, LoopRead } from "./loop_fusion.ts";

/** The type of the value a read names, or `undefined` where there is no such value. */
function readType(r: LoopRead, p: ScanParams, body: Jaxpr): ShapedArray | undefined {
  const nc = p.numConsts, nk = p.numCarry;
  if (r.kind === "operand") return r.index < nc ? body.inBinders[r.index]?.aval : undefined;
  if (r.kind === "bodyConst") return body.constVars[r.index]?.aval;
  return body.inBinders[nc + nk + r.index]?.aval;
}

/** Whether `strides` index each point of `space` at its own element, row-major. */
function perElement(strides: readonly number[], space: readonly number[]): boolean {
  const own = stridesOf(space);
  return strides.every((s, d) => space[d] === 1 || s === own[d]);
}

/** Every problem of fused scan `loop` made for params `p` from body `body` (simplified). */
export function loopProblems(loop: FusedScan, p: ScanParams, body: Jaxpr): string[] {
  const problems: string[] = [];
  const k = loop.body, space = k.space;
  const nr = loop.reads.length, nk = p.numCarry;
  if (k.inputs.length !== nr + loop.carries.length) {
    problems.push(
      `body has ${k.inputs.length} inputs, not ${nr} reads + ${loop.carries.length} carries`,
    );
  }
  if (loop.carries.length !== nk) problems.push(`${loop.carries.length} carries, scan has ${nk}`);
  loop.reads.forEach((r, i) => {
    const t = readType(r, p, body);
    if (!t) problems.push(`read ${i}: no ${r.kind} ${r.index}`);
    else if (t.dtype !== k.inputs[i]) {
      problems.push(`read ${i}: ${t.dtype} into a ${k.inputs[i]} input`);
    } else if (r.kind === "xs" && !shapeEqual(t.shape, space)) {
      problems.push(`read ${i}: scanned slice of shape [${t.shape}] in a space [${space}]`);
    }
  });
  const stepped = new Set(loop.reads.flatMap((r, i) => (r.kind === "xs" ? [i] : [])));
  const ys = body.outs.slice(nk);
  if (loop.ys !== ys.length) problems.push(`${loop.ys} ys, scan has ${ys.length}`);
  ys.forEach((y, j) => {
    if (k.outputs[j] !== y.aval.dtype) {
      problems.push(`y ${j}: ${k.outputs[j]} output for a ${y.aval.dtype} y`);
    }
  });
  loop.carries.forEach((c, j) => {
    const want = body.inBinders[p.numConsts + j]?.aval;
    stepped.add(c.input);
    if (c.input !== nr + j) problems.push(`carry ${j} read from input ${c.input}, not ${nr + j}`);
    if (!want) return;
    if (!shapeEqual(want.shape, space)) {
      problems.push(`carry ${j}: shape [${want.shape}] in a space [${space}]`);
    }
    if (k.inputs[c.input] !== want.dtype || k.outputs[c.output] !== want.dtype) {
      problems.push(
        `carry ${j}: ${want.dtype} carried through a ${k.inputs[c.input]} input and a ` +
          `${k.outputs[c.output]} output`,
      );
    }
  });
  k.loads.forEach((l, i) => {
    if (stepped.has(l.input) && !perElement(l.strides, space)) {
      problems.push(`load ${i}: carry or scanned input ${l.input} read at strides [${l.strides}]`);
    }
  });
  k.stores.forEach((s, i) => {
    if (s.reduce) problems.push(`store ${i}: a ${s.reduce} reduction in a loop kernel`);
    if (!perElement(s.strides, space)) {
      problems.push(`store ${i}: written at strides [${s.strides}]`);
    }
  });
  return problems;
}

/** Throws, naming every problem, when fused scan `loop` does not compute scan `p` of `body`. */
export function verifyFusedScan(loop: FusedScan, p: ScanParams, body: Jaxpr): void {
  const problems = loopProblems(loop, p, body);
  if (problems.length) throw new Error(`fused scan verifier: ${problems.join("; ")}`);
}
