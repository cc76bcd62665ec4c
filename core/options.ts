/**
 * The check that an options argument is an object holding only known keys: a number in its
 * place (`optim.sgd(0.1, 0.9)`) or a misspelt key (`{ beta1: 0.9 }`) would otherwise be ignored
 * without a word, and the defaults used instead.
 * @module
 */
import { describeValue } from "./describe.ts";
import { AdjointError } from "./errors.ts";

/** Throws unless `options` is a plain object whose keys are all among `known`. */
export function checkOptions(op: string, options: unknown, known: readonly string[]): void {
  const expected = `an options object with keys among ${known.join(", ")}`;
  if (typeof options !== "object" || options === null || globalThis.Array.isArray(options)) {
    throw new AdjointError(op, `expected ${expected}, got ${describeValue(options)}`);
  }
  const unknown = Object.keys(options).find((k) => !known.includes(k));
  if (unknown !== undefined) {
    throw new AdjointError(op, `unknown option ${JSON.stringify(unknown)}; expected ${expected}`);
  }
}
