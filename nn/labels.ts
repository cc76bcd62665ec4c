/**
 * Class labels as the losses and metrics take them: integer class indices with the scores' batch
 * shape, or float targets (one-hot rows or soft labels) with the scores' own shape. Anything else
 * is refused with an error saying which of the two was probably meant.
 *
 * Concrete integer labels are also checked to lie in `[0, classes)`. Under `jit` (or `vmap`) the
 * labels are traced and their values unknown, so that check cannot run: an out-of-range label
 * there becomes a row of zeros in the one-hot target, as in `np.oneHot`.
 * @module
 */
import { Array, ConcreteArray } from "../core/array.ts";
import { describeValue } from "../core/describe.ts";
import { isFloat } from "../core/dtype.ts";
import { AdjointError } from "../core/errors.ts";
import { shapeEqual, shapeStr } from "../core/shape.ts";

/** How labels give the classes: integer indices, or a float distribution over the classes. */
export type LabelKind = "indices" | "distribution";

/** Throws unless `x` is an array, naming `what` it should have been. */
export function requireArray(op: string, what: string, x: unknown): asserts x is Array {
  if (!(x instanceof Array)) {
    throw new AdjointError(
      op,
      `expected ${what} as an array, got ${describeValue(x)}; build it with np.array(...)`,
    );
  }
}

/**
 * Checks `labels` against `scores` whose classes lie on `axis` (already normalised) and says
 * which kind they are; integer labels equal to `ignoreIndex` pass the range check.
 */
export function labelKind(
  op: string,
  scores: Array,
  labels: Array,
  axis: number,
  ignoreIndex?: number,
): LabelKind {
  requireArray(op, "scores", scores);
  requireArray(op, "labels", labels);
  const batch = scores.shape.filter((_, i) => i !== axis);
  const classes = scores.shape[axis];
  if (isFloat(labels.dtype)) {
    if (shapeEqual(labels.shape, scores.shape)) return "distribution";
    const hint = shapeEqual(labels.shape, batch)
      ? `class indices must be integers: convert them with np.astype(labels, "int32")`
      : `expected integer labels of shape ${shapeStr(batch)} or float targets of shape ` +
        shapeStr(scores.shape);
    throw new AdjointError(
      op,
      `float labels ${labels.aval} do not match the scores ${scores.aval} (${classes} classes ` +
        `on axis ${axis}); ${hint}`,
    );
  }
  if (!shapeEqual(labels.shape, batch)) {
    throw new AdjointError(
      op,
      `integer labels ${labels.aval} must have the batch shape ${shapeStr(batch)} of the ` +
        `scores ${scores.aval} (${classes} classes on axis ${axis})`,
    );
  }
  checkRange(op, labels, classes, ignoreIndex);
  return "indices";
}

/** Refuses a concrete label outside `[0, classes)` but `ignoreIndex`; traced labels pass. */
function checkRange(op: string, labels: Array, classes: number, ignoreIndex?: number): void {
  if (!(labels instanceof ConcreteArray)) return;
  const values = labels.backend.readSync(labels.buffer, labels.aval);
  if (!values) return; // only readable asynchronously (WebGPU): left unchecked, as under jit
  const at = values.findIndex((v) =>
    !(Number(v) >= 0 && Number(v) < classes) && Number(v) !== ignoreIndex
  );
  if (at < 0) return;
  throw new AdjointError(
    op,
    `label ${values[at]} (element ${at} of labels ${labels.aval}) is out of range for ` +
      `${classes} classes; expected integers in [0, ${classes - 1}]`,
  );
}
