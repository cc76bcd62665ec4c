/**
 * What `jit(f).lower()` shows of a program's loops and branches: each scan that runs as one loop
 * kernel (loop_fusion.ts) with that kernel and its rendered source, each other scan, while loop
 * or branch with the kernel program its body runs (per step for a loop), recursively. A
 * sub-jaxpr is named by the path of kernels to it, e.g. `k0/k2` for kernel 2 of kernel 0's body.
 * @module
 */
import { Jaxpr, paramsOf } from "../../core/jaxpr.ts";
import { scanP, type ScanParams } from "../../core/control/scan.ts";
import { hasSubJaxprs } from "../../core/control/sub_programs.ts";
import { simplify } from "../../core/transforms/simplify.ts";
import { type KernelProgram, programToString } from "./fusion.ts";
import { type FusedScan, fusedScan, fusedScanToString } from "./loop_fusion.ts";

/** How a backend lowers a body and renders a loop kernel. */
export interface LoopLowering {
  /** The kernel program a simplified sub-jaxpr runs as. */
  program: (jaxpr: Jaxpr) => KernelProgram;
  /** The backend's source of a fused scan for the scan's steps and direction `p`. */
  render: (loop: FusedScan, p: ScanParams) => string;
}

/** The program's loops and branches as text, and the sources of its loop kernels. */
export interface LoopDescription {
  /** One paragraph per loop or branch. */
  loops: string;
  /** The rendered loop kernels, each after a comment naming its scan. */
  sources: string;
}

/** The primitives whose sub-jaxprs run once per step. */
const STEPPED = new Set(["scan", "while"]);

const indent = (text: string) => text.split("\n").map((l) => `  ${l}`).join("\n");

/** The sub-jaxprs in an equation's params, by param name (`branches[1]` for a list's). */
function subJaxprs(params: Record<string, unknown>): [string, Jaxpr][] {
  return Object.entries(params).flatMap(([name, v]): [string, Jaxpr][] => {
    if (v instanceof Jaxpr) return [[name, v]];
    if (!globalThis.Array.isArray(v)) return [];
    return v.flatMap((
      x,
      i,
    ): [string, Jaxpr][] => (x instanceof Jaxpr ? [[`${name}[${i}]`, x]] : []));
  });
}

/** Describes the loops and branches of `program` and, recursively, of their bodies. */
export function describeLoops(program: KernelProgram, lowering: LoopLowering): LoopDescription {
  const loops: string[] = [], sources: string[] = [];
  const visit = (p: KernelProgram, path: string) => {
    p.kernels.forEach((k, i) => {
      const e = k.eqns[0];
      if (k.kind !== "op" || !hasSubJaxprs(e)) return;
      const at = `${path}k${i}`;
      let label = `${e.prim.name} ${at}`;
      if (e.prim.name === "scan") {
        const params = paramsOf(e, scanP);
        const loop = fusedScan(params, simplify(params.jaxpr));
        label = `scan ${at} (length ${params.length}${params.reverse ? ", reverse" : ""})`;
        if (loop) {
          loops.push(`${label}: one loop kernel\n${indent(fusedScanToString(loop))}`);
          sources.push(`// scan ${at}\n${lowering.render(loop, params)}`);
          return;
        }
      }
      const per = STEPPED.has(e.prim.name) ? " per step" : "";
      for (const [name, jaxpr] of subJaxprs(e.params)) {
        const body = lowering.program(simplify(jaxpr));
        loops.push(`${label} ${name} runs this program${per}:\n${indent(programToString(body))}`);
        visit(body, `${at}/`);
      }
    });
  };
  visit(program, "");
  return { loops: loops.join("\n"), sources: sources.join("\n") };
}
