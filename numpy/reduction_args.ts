/**
 * Reading a reduction's arguments after `x`: positional (`axis, keepdims, ddof`) or one options
 * object with the same names, as NumPy's keywords. One parser for every reduction, so each accepts
 * both forms and refuses the same mistakes (an unknown key, an options object followed by more
 * arguments, an axis that is not an integer or a list of integers).
 * @module
 */
import { Array } from "../core/array.ts";
import { describeValue } from "../core/describe.ts";
import { AdjointError } from "../core/errors.ts";
import { checkOptions } from "../core/options.ts";
import type { Axis } from "../core/reduction_options.ts";

/** A reduction's arguments, read from either form. */
export interface ReductionArgs {
  axis: Axis;
  keepdims: boolean;
  ddof: number;
}

/** Whether `v` is an options object rather than an axis (a plain `{ ... }` object). */
function isOptions(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || v instanceof Array) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function checkAxis(op: string, axis: unknown, single: boolean): Axis {
  if (axis === undefined || axis === null || Number.isInteger(axis)) return axis as Axis;
  if (!single && globalThis.Array.isArray(axis) && axis.every(Number.isInteger)) return axis;
  const expected = single ? "an integer or null" : "an integer, a list of integers or null";
  throw new AdjointError(op, `axis is ${describeValue(axis)}; expected ${expected}`);
}

/**
 * The arguments `args` (those after `x`) of reduction `op`, whose positional parameters are
 * `names` in order; `single` when the axis is one integer (argmax, argmin).
 */
export function reductionArgs(
  op: string,
  args: readonly unknown[],
  names: readonly (keyof ReductionArgs)[],
  single = false,
): ReductionArgs {
  let given: Record<string, unknown>;
  if (isOptions(args[0])) {
    const extra = args.slice(1).find((v) => v !== undefined);
    if (extra !== undefined) {
      throw new AdjointError(
        op,
        `got an options object and then ${describeValue(extra)}; pass every argument in the ` +
          `options object, e.g. { axis: -1, keepdims: true }`,
      );
    }
    checkOptions(op, args[0], names);
    given = args[0];
  } else {
    given = Object.fromEntries(names.map((name, i) => [name, args[i]]));
  }
  const { keepdims = false, ddof = 0 } = given;
  if (typeof keepdims !== "boolean") {
    throw new AdjointError(op, `keepdims is ${describeValue(keepdims)}; expected true or false`);
  }
  if (typeof ddof !== "number" || !Number.isFinite(ddof)) {
    throw new AdjointError(op, `ddof is ${describeValue(ddof)}; expected a finite number`);
  }
  return { axis: checkAxis(op, given.axis, single), keepdims, ddof };
}
