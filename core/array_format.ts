/**
 * How arrays print, after NumPy: nested brackets, the numbers of an array in one common style
 * and width, and arrays of more than a thousand elements summarised by their first and last
 * three entries along each axis (`...` between).
 * @module
 */
import type { DType, TypedArray } from "./dtype.ts";

/** Arrays with more elements than this are summarised. */
const THRESHOLD = 1000;
/** Entries kept at each end of a summarised axis. */
const EDGE = 3;
/** A matrix printed on one line longer than this prints one row per line. */
const LINE = 75;

/** Significant digits a float shows. */
const DIGITS = 6;

/** Whether a float prints in fixed notation (else exponential). */
function fixed(abs: number): boolean {
  return abs === 0 || (abs >= 1e-4 && abs < 1e8);
}

/**
 * How the floats of one array print, in one style as NumPy's: `1.`, `2.` when all are integers;
 * else one number of decimals for all (the most any needs at 6 significant digits), trailing
 * zeros shown as spaces (`1.     ` beside `1.41421`); exponential for all when any needs it.
 */
function floatStyle(values: number[]): (x: number) => string {
  const finite = values.filter(Number.isFinite);
  const special = (x: number) => (Object.is(x, -0) ? "-0." : String(x));
  if (finite.every((x) => Number.isInteger(x) && Math.abs(x) < 1e16)) {
    return (x) => (Number.isFinite(x) && !Object.is(x, -0) ? `${x}.` : special(x));
  }
  if (finite.every((x) => fixed(Math.abs(x)))) {
    const decimals = (x: number) => {
      const t = String(Number(x.toPrecision(DIGITS)));
      return t.includes(".") ? t.length - t.indexOf(".") - 1 : 0;
    };
    const d = Math.min(Math.max(...finite.map(decimals)), 8);
    return (x) => {
      if (!Number.isFinite(x) || Object.is(x, -0)) return special(x);
      const t = x.toFixed(d);
      const trimmed = t.replace(/0+$/, "");
      return trimmed.padEnd(t.length);
    };
  }
  return (x) =>
    Number.isFinite(x) && !Object.is(x, -0)
      ? x.toExponential(DIGITS - 1).replace(/\.?0+e/, "e")
      : special(x);
}

/** The text of each element: integers plainly, floats in one style, bools as words. */
function elementStyle(values: number[], dtype: DType): (x: number) => string {
  if (dtype === "bool") return (x) => (x ? "true" : "false");
  if (dtype === "int32") return (x) => String(x);
  return floatStyle(values);
}

/** The indices shown along an axis of length `n` (`-1` marks the `...`). */
function shownIndices(n: number, summarise: boolean): number[] {
  if (!summarise || n <= 2 * EDGE) return Array.from({ length: n }, (_, i) => i);
  return [
    ...Array.from({ length: EDGE }, (_, i) => i),
    -1,
    ...Array.from({ length: EDGE }, (_, i) => n - EDGE + i),
  ];
}

/**
 * The contents of an array of `shape` and `dtype` with row-major `data`, as NumPy prints them:
 * a vector, or a matrix that fits, on one line (`[[1., 2.], [3., 4.]]`), else one row per line
 * and a blank line between blocks of higher ranks.
 */
export function formatData(data: TypedArray, shape: readonly number[], dtype: DType): string {
  const summarise = data.length > THRESHOLD;
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const shown: number[] = [];
  const collect = (axis: number, offset: number) => {
    if (axis === shape.length) shown.push(offset);
    else {
      for (const i of shownIndices(shape[axis], summarise)) {
        if (i >= 0) collect(axis + 1, offset + i * strides[axis]);
      }
    }
  };
  collect(0, 0);
  const style = elementStyle(shown.map((o) => Number(data[o])), dtype);
  const texts = new Map(shown.map((o) => [o, style(Number(data[o]))]));
  const width = Math.max(0, ...[...texts.values()].map((t) => t.length));
  const cell = (o: number) => texts.get(o)!.padStart(width);
  const render = (axis: number, offset: number, breakRows: boolean): string => {
    if (axis === shape.length) return cell(offset);
    const parts = shownIndices(shape[axis], summarise).map((i) =>
      i < 0 ? "..." : render(axis + 1, offset + i * strides[axis], breakRows)
    );
    const innermost = axis === shape.length - 1;
    const gap = !breakRows || innermost ? ", " : `,${"\n".repeat(shape.length - axis - 1)}`;
    const indent = breakRows && !innermost ? " ".repeat(axis + 1) : "";
    return `[${parts.join(gap + indent)}]`;
  };
  const flat = render(0, 0, false);
  const oneLine = shape.length < 2 || (shape.length === 2 && flat.length <= LINE);
  return oneLine ? flat : render(0, 0, true);
}
