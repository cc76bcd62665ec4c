/**
 * Structural checks of kernel programs shared by the lowering tests.
 * @module
 */
import assert from "node:assert/strict";
import type { Var } from "../../mod.ts";
import { type KernelProgram, programToString } from "../../kernels/lowering/fusion.ts";

/** Every equation of the program's jaxpr (broadcast views aside) runs in exactly one kernel. */
export function assertEachEquationOnce(program: KernelProgram): void {
  const isView = (name: string) => name === "broadcast_in_dim";
  const computed = program.kernels.flatMap((k) => k.eqns).filter((e) => !isView(e.prim.name));
  const text = programToString(program);
  assert.equal(new Set(computed).size, computed.length, text);
  assert.equal(computed.length, program.jaxpr.eqns.filter((e) => !isView(e.prim.name)).length);
}

/** Every kernel reads only program inputs and values that earlier kernels (or itself) define. */
export function assertInputsProducedEarlier(program: KernelProgram): void {
  const produced = new Set<Var>([...program.jaxpr.inBinders, ...program.jaxpr.constVars]);
  for (const k of program.kernels) {
    for (const v of k.inputs) assert.ok(produced.has(v), programToString(program));
    for (const e of k.eqns) for (const v of e.outBinders) produced.add(v);
  }
}
