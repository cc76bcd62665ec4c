/**
 * `roll`: elements shifted cyclically along axes, as two slices concatenated.
 * @module
 */
import type { Array } from "../core/array.ts";
import { describeValue } from "../core/describe.ts";
import { AdjointError } from "../core/errors.ts";
import * as st from "../core/primitives/structural.ts";
import { normalizeAxis } from "../core/shape.ts";
import { type ArrayInput, asArray } from "./convert.ts";

/** `x` rolled by `s` (already in `(0, n)`) along `axis`: the last `s` elements come first. */
function rollAxis(x: Array, s: number, axis: number): Array {
  const n = x.shape[axis];
  const part = (from: number, to: number) =>
    st.slice(
      x,
      x.shape.map((_, i) => (i === axis ? from : 0)),
      x.shape.map((d, i) => (i === axis ? to : d)),
    );
  return st.concatenate([part(n - s, n), part(0, n - s)], axis);
}

/**
 * Elements shifted by `shift` positions along `axis` (of the flattened array when omitted or
 * null), wrapping around; `shift` and `axis` may be lists of one length (or one shift for all
 * the axes), as np.roll.
 */
export function roll(
  a: ArrayInput,
  shift: number | readonly number[],
  axis: number | readonly number[] | null = null,
): Array {
  const x = asArray(a);
  if (axis === null) {
    if (typeof shift !== "number") {
      throw new AdjointError(
        "np.roll",
        `one shift rolls the flattened array, got ${describeValue(shift)}`,
      );
    }
    return st.reshape(roll(st.reshape(x, [x.size]), shift, 0), x.shape);
  }
  const axes = typeof axis === "number" ? [axis] : [...axis];
  const shifts = typeof shift === "number" ? axes.map(() => shift) : [...shift];
  if (shifts.length !== axes.length || !shifts.every(Number.isInteger)) {
    throw new AdjointError(
      "np.roll",
      `expected integer shifts, one per axis (${axes.length}), got ${describeValue(shift)}`,
    );
  }
  let out = x;
  axes.forEach((ax0, i) => {
    const ax = normalizeAxis("np.roll", ax0, x.ndim);
    const n = x.shape[ax];
    const s = n === 0 ? 0 : ((shifts[i] % n) + n) % n;
    if (s !== 0) out = rollAxis(out, s, ax);
  });
  return out;
}
