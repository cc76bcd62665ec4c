/**
 * Dead-code elimination through control flow and calls, as JAX's `dce_rules`: an output nobody
 * reads is removed from the equation and from its sub-jaxprs, and then the operands no sub-jaxpr
 * reads any more. A loop's carry stays while its new value feeds a carry that stays, an output
 * read outside, or (for `while`) the condition: a fixpoint over the body.
 * @module
 */
import { type Jaxpr, JaxprEqn, paramsOf } from "../jaxpr.ts";
import { type DceRule, dropInputs, pruneOutputs } from "../transforms/dce.ts";
import type { CallParams } from "./call_rules.ts";
import { checkpointP } from "./checkpoint.ts";
import { condP } from "./cond.ts";
import { scanP, type ScanParams } from "./scan.ts";
import { whileP, type WhileParams } from "./while_loop.ts";

const count = (flags: readonly boolean[]) => flags.filter(Boolean).length;
const pick = <T>(xs: readonly T[], flags: readonly boolean[]) => xs.filter((_, i) => flags[i]);

/**
 * The carries of a loop whose body is `body` (carries at inputs `offset..`, outputs `0..`, then
 * `extra` outputs) that must stay, starting from `live`: those whose value a staying output
 * reads, to a fixpoint; and the body pruned to them.
 */
function liveCarries(
  body: Jaxpr,
  offset: number,
  live: boolean[],
  extra: readonly boolean[],
): { carries: boolean[]; body: Jaxpr; usedInputs: boolean[] } {
  for (;;) {
    const pruned = pruneOutputs(body, [...live, ...extra]);
    const next = live.map((l, i) => l || pruned.usedInputs[offset + i]);
    if (next.every((l, i) => l === live[i])) {
      return { carries: live, body: pruned.jaxpr, usedInputs: pruned.usedInputs };
    }
    live = next;
  }
}

/** `scan`: unused `ys` go; unused carries go unless a staying output needs them; then inputs. */
const dceScan: DceRule = (e, used) => {
  const p = paramsOf(e, scanP);
  const nc = p.numConsts, nk = p.numCarry;
  const ys = used.slice(nk);
  const { carries, body, usedInputs } = liveCarries(p.jaxpr, nc, used.slice(0, nk), ys);
  const keepIn = usedInputs.map((u, i) => (i >= nc && i < nc + nk ? carries[i - nc] : u));
  const keepOut = [...carries, ...ys];
  if (keepIn.every(Boolean) && keepOut.every(Boolean)) return e;
  const params: ScanParams = {
    ...p,
    jaxpr: dropInputs(body, keepIn),
    numConsts: count(keepIn.slice(0, nc)),
    numCarry: count(carries),
  };
  return new JaxprEqn(e.prim, pick(e.inputs, keepIn), params, pick(e.outBinders, keepOut));
};

/** `while`: carries neither read outside, by the condition, nor by staying carries go. */
const dceWhile: DceRule = (e, used) => {
  const p = paramsOf(e, whileP);
  const ncc = p.numCondConsts, nbc = p.numBodyConsts;
  const cond = pruneOutputs(p.cond, [true]);
  const start = used.map((u, i) => u || cond.usedInputs[ncc + i]);
  const { carries, body, usedInputs } = liveCarries(p.body, nbc, start, []);
  const keepCond = [...cond.usedInputs.slice(0, ncc), ...carries];
  const keepBody = [...usedInputs.slice(0, nbc), ...carries];
  if (keepCond.every(Boolean) && keepBody.every(Boolean)) return e;
  const params: WhileParams = {
    ...p,
    cond: dropInputs(cond.jaxpr, keepCond),
    body: dropInputs(body, keepBody),
    numCondConsts: count(keepCond.slice(0, ncc)),
    numBodyConsts: count(keepBody.slice(0, nbc)),
  };
  const keepIn = [...keepCond.slice(0, ncc), ...keepBody.slice(0, nbc), ...carries];
  return new JaxprEqn(e.prim, pick(e.inputs, keepIn), params, pick(e.outBinders, carries));
};

/** `cond`: unused outputs go from every branch; then the operands no branch reads. */
const dceCond: DceRule = (e, used) => {
  const p = paramsOf(e, condP);
  const pruned = p.branches.map((b) => pruneOutputs(b, used));
  const reads = pruned[0].usedInputs.map((_, i) => pruned.some((b) => b.usedInputs[i]));
  if (reads.every(Boolean) && used.every(Boolean)) return e;
  const branches = pruned.map((b) => dropInputs(b.jaxpr, reads));
  const [index, ...ops] = e.inputs;
  return new JaxprEqn(
    e.prim,
    [index, ...pick(ops, reads)],
    { ...p, branches },
    pick(e.outBinders, used),
  );
};

/**
 * A `checkpoint` call: unused outputs go from its jaxpr; then unread operands. (A `pjit` never
 * gets here: constant folding inlines it.)
 */
const dceCall: DceRule = (e, used) => {
  const p = paramsOf(e, checkpointP);
  const { jaxpr, usedInputs } = pruneOutputs(p.jaxpr, used);
  if (usedInputs.every(Boolean) && used.every(Boolean)) return e;
  const params: CallParams = { ...p, jaxpr: dropInputs(jaxpr, usedInputs) };
  return new JaxprEqn(e.prim, pick(e.inputs, usedInputs), params, pick(e.outBinders, used));
};

/** The dead-code elimination rules of primitives carrying sub-jaxprs, by primitive name. */
export const dceRules: Readonly<Record<string, DceRule>> = {
  scan: dceScan,
  while: dceWhile,
  cond: dceCond,
  checkpoint: dceCall,
};
