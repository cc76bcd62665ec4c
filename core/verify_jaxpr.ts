/**
 * A type checker of jaxprs, independent of how they were built: every equation reads only
 * values defined before it (its jaxpr's constants and inputs, earlier equations' results), and
 * its results have the shapes and dtypes its primitive's shape rule gives for its operands;
 * the outputs are defined. Sub-jaxprs (branches, loop bodies) are checked on their own. The
 * simplifier runs it after each of its passes when `config.verifyPrograms` (as in the tests),
 * so that a rewrite producing an ill-typed program fails where it is made, naming the pass.
 * @module
 */
import { type Atom, Jaxpr, type JaxprEqn, Var } from "./jaxpr.ts";

/** The problems of `j` (and its sub-jaxprs), empty when it is well typed. */
export function jaxprProblems(j: Jaxpr): string[] {
  const problems: string[] = [];
  const defined = new Set<Var>([...j.constVars, ...j.inBinders]);
  const undefinedRead = (a: Atom) => a instanceof Var && !defined.has(a);
  j.eqns.forEach((e, i) => {
    const where = `equation ${i} (${e.prim.name})`;
    if (e.inputs.some(undefinedRead)) problems.push(`${where} reads a value not yet defined`);
    const wrong = resultProblem(e);
    if (wrong) problems.push(`${where}: ${wrong}`);
    for (const v of e.outBinders) defined.add(v);
    for (const sub of subJaxprs(e.params)) {
      problems.push(...jaxprProblems(sub).map((p) => `${where}: ${p}`));
    }
  });
  if (j.outs.some(undefinedRead)) problems.push("an output is not defined");
  return problems;
}

/** What is wrong with `e`'s results against its shape rule, or null. */
function resultProblem(e: JaxprEqn): string | null {
  let want;
  try {
    want = e.prim.shape(e.inputs.map((a) => a.aval), e.params);
  } catch (err) {
    return `its operands are refused: ${(err as Error).message}`;
  }
  const got = e.outBinders.map((v) => v.aval);
  const same = want.length === got.length && want.every((w, i) => w.equals(got[i]));
  return same ? null : `results ${got.join(", ")}, expected ${want.join(", ")}`;
}

/** The jaxprs among an equation's params (nested in arrays too). */
function subJaxprs(v: unknown): Jaxpr[] {
  if (v instanceof Jaxpr) return [v];
  if (Array.isArray(v)) return v.flatMap(subJaxprs);
  if (v && typeof v === "object") return Object.values(v).flatMap(subJaxprs);
  return [];
}

/** Throws, naming `pass` and every problem, when `j` is not well typed. */
export function verifyJaxpr(j: Jaxpr, pass: string): void {
  const problems = jaxprProblems(j);
  if (problems.length) throw new Error(`jaxpr check after ${pass}: ${problems.join("; ")}`);
}
