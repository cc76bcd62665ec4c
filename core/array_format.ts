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

/** The text of one element: integers plainly, floats to 6 significant digits, bools as words. */
function element(x: number, dtype: DType): string {
  if (dtype === "bool") return x ? "true" : "false";
  if (dtype === "int32" || Number.isNaN(x) || !Number.isFinite(x)) return String(x);
  if (Object.is(x, -0)) return "-0.";
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return `${x}.`;
  const abs = Math.abs(x);
  if (abs >= 1e-4 && abs < 1e8) return String(Number(x.toPrecision(6)));
  return x.toExponential(5).replace(/\.?0+e/, "e");
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
  const texts = new Map(shown.map((o) => [o, element(Number(data[o]), dtype)]));
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
