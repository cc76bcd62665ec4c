/**
 * Constant folding across control flow: a literal passed to a sub-jaxpr's loop-invariant input
 * (an operand of a branch or call, a loop's constant) moves into the sub-jaxpr, which is then
 * simplified again, so what it computes from the literal folds there. Carries and scanned
 * inputs change from step to step and stay operands.
 * @module
 */
import { type Atom, Jaxpr, JaxprEqn, Literal, paramsOf, type Var } from "../jaxpr.ts";
import type { CallParams } from "./call_rules.ts";
import { checkpointP } from "./checkpoint.ts";
import { condP } from "./cond.ts";
import { scanP, type ScanParams } from "./scan.ts";
import { whileP, type WhileParams } from "./while_loop.ts";

/**
 * `e` with its literal loop-invariant operands moved into its sub-jaxprs (each simplified by
 * `simplify`), or `null` where it has none.
 */
export type LiteralRule = (e: JaxprEqn, simplify: (j: Jaxpr) => Jaxpr) => JaxprEqn | null;

/** `j` with its first `literals.length` inputs replaced by the literals given (others stay). */
function withLiterals(j: Jaxpr, literals: readonly (Literal | null)[]): Jaxpr {
  const subst = new Map<Var, Literal>();
  literals.forEach((l, i) => l && subst.set(j.inBinders[i], l));
  const atom = (a: Atom): Atom => (a instanceof Literal ? a : subst.get(a) ?? a);
  const eqns = j.eqns.map((e) => new JaxprEqn(e.prim, e.inputs.map(atom), e.params, e.outBinders));
  const inBinders = j.inBinders.filter((v) => !subst.has(v));
  return new Jaxpr(j.constVars, j.consts, inBinders, eqns, j.outs.map(atom));
}

/** The literals among `xs` (`null` elsewhere), or `null` where there are none. */
function literalsOf(xs: readonly Atom[]): (Literal | null)[] | null {
  const lits = xs.map((a) => (a instanceof Literal ? a : null));
  return lits.some((l) => l !== null) ? lits : null;
}

const nonLiteral = (a: Atom) => !(a instanceof Literal);

/** A `checkpoint` call's literal operands (a `pjit` is inlined instead). */
const callLiterals: LiteralRule = (e, simplify) => {
  const lits = literalsOf(e.inputs);
  if (!lits) return null;
  const p = paramsOf(e, checkpointP);
  const params: CallParams = { ...p, jaxpr: simplify(withLiterals(p.jaxpr, lits)) };
  return new JaxprEqn(e.prim, e.inputs.filter(nonLiteral), params, e.outBinders);
};

/** A cond's literal operands (not its index), into every branch. */
const condLiterals: LiteralRule = (e, simplify) => {
  const [index, ...ops] = e.inputs;
  const lits = literalsOf(ops);
  if (!lits) return null;
  const p = paramsOf(e, condP);
  const branches = p.branches.map((b) => simplify(withLiterals(b, lits)));
  return new JaxprEqn(e.prim, [index, ...ops.filter(nonLiteral)], { ...p, branches }, e.outBinders);
};

/** A scan's literal constants. */
const scanLiterals: LiteralRule = (e, simplify) => {
  const p = paramsOf(e, scanP);
  const consts = e.inputs.slice(0, p.numConsts);
  const lits = literalsOf(consts);
  if (!lits) return null;
  const params: ScanParams = {
    ...p,
    jaxpr: simplify(withLiterals(p.jaxpr, lits)),
    numConsts: consts.filter(nonLiteral).length,
  };
  const inputs = [...consts.filter(nonLiteral), ...e.inputs.slice(p.numConsts)];
  return new JaxprEqn(e.prim, inputs, params, e.outBinders);
};

/** A while loop's literal constants of the condition and of the body. */
const whileLiterals: LiteralRule = (e, simplify) => {
  const p = paramsOf(e, whileP);
  const cc = e.inputs.slice(0, p.numCondConsts);
  const bc = e.inputs.slice(p.numCondConsts, p.numCondConsts + p.numBodyConsts);
  const condLits = literalsOf(cc), bodyLits = literalsOf(bc);
  if (!condLits && !bodyLits) return null;
  const params: WhileParams = {
    ...p,
    cond: condLits ? simplify(withLiterals(p.cond, condLits)) : p.cond,
    body: bodyLits ? simplify(withLiterals(p.body, bodyLits)) : p.body,
    numCondConsts: cc.filter(nonLiteral).length,
    numBodyConsts: bc.filter(nonLiteral).length,
  };
  const carry = e.inputs.slice(p.numCondConsts + p.numBodyConsts);
  const inputs = [...cc.filter(nonLiteral), ...bc.filter(nonLiteral), ...carry];
  return new JaxprEqn(e.prim, inputs, params, e.outBinders);
};

/** The rules moving literal operands into sub-jaxprs, by primitive name. */
export const literalRules: Readonly<Record<string, LiteralRule>> = {
  scan: scanLiterals,
  while: whileLiterals,
  cond: condLiterals,
  checkpoint: callLiterals,
};
