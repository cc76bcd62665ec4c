/**
 * Random translations of images (data augmentation): in training, each example of an
 * `[N, C, H, W]` batch moves by its own whole-pixel offset, drawn uniformly in
 * `[-maxShift, maxShift]` along each spatial axis; pixels moved in are zero. The identity at
 * inference. Output pixel `(i, j)` of an example moved by `(dy, dx)` is input pixel
 * `(i - dy, j - dx)` when that is inside the image, so the whole batch moves with one gather.
 * @module
 */
import type { Array } from "../../core/array.ts";
import { AdjointError } from "../../core/errors.ts";
import * as np from "../../numpy.ts";
import { split } from "../../random/key.ts";
import { randint } from "../../random/randint.ts";
import type { Layer } from "../layer.ts";
import { trainingKey } from "../layer_checks.ts";
import { layerFactory } from "../layer_factory.ts";

/** Each example's offset in `[-maxShift, maxShift]`, as an `[N, 1, 1, 1]` int32 array. */
function offsets(key: Array, n: number, maxShift: number): Array {
  return np.reshape(randint(key, [n], -maxShift, maxShift + 1), [n, 1, 1, 1]);
}

/**
 * `x` `[N, C, H, W]` with example `k` moved by `dy[k]` rows and `dx[k]` columns: a gather of
 * the source pixels, zero where the source is outside the image.
 */
function shifted(x: Array, dy: Array, dx: Array): Array {
  const [n, c, h, w] = x.shape;
  const rows = np.subtract(np.reshape(np.arange(h, undefined, 1, "int32"), [1, 1, h, 1]), dy);
  const cols = np.subtract(np.reshape(np.arange(w, undefined, 1, "int32"), [1, 1, 1, w]), dx);
  const inside = np.logicalAnd(
    np.logicalAnd(np.greaterEqual(rows, 0), np.less(rows, h)),
    np.logicalAnd(np.greaterEqual(cols, 0), np.less(cols, w)),
  );
  const planes = np.multiply(
    np.reshape(np.arange(n * c, undefined, 1, "int32"), [n, c, 1, 1]),
    h * w,
  );
  const source = np.add(
    np.add(planes, np.multiply(np.clip(rows, 0, h - 1), w)),
    np.clip(cols, 0, w - 1),
  );
  return np.where(inside, np.take(x, source), np.zeros([], x.dtype));
}

/** Moves each image of an `[N, C, H, W]` batch by up to `maxShift` pixels per axis in training. */
export function randomShift(maxShift: number): Layer<null> {
  const op = "nn.randomShift";
  if (!(Number.isInteger(maxShift) && maxShift >= 0)) {
    throw new AdjointError(op, `expected a whole number of pixels >= 0, got ${maxShift}`);
  }
  return {
    init: (_key, inputShape) => [inputShape, null],
    apply(_params, x, options) {
      if (!options?.training || maxShift === 0) return x;
      if (x.ndim !== 4) throw new AdjointError(op, `expected an input [N, C, H, W], got ${x.aval}`);
      const [rowKey, colKey] = split(trainingKey(op, options));
      const n = x.shape[0];
      return shifted(x, offsets(rowKey, n, maxShift), offsets(colKey, n, maxShift));
    },
  };
}

layerFactory(randomShift, "nn.randomShift(maxShift)");
