/**
 * Random translations of images (data augmentation): in training, each example of an
 * `[N, C, H, W]` batch moves by its own whole-pixel offset, drawn uniformly in
 * `[-maxShift, maxShift]` along each spatial axis; pixels moved in are zero. The identity at
 * inference. The shift of an `H`-long axis by `d` is the product with the 0/1 matrix
 * `S[i, j] = (j == i - d)`, so the whole batch moves with two batched matmuls.
 * @module
 */
import type { Array } from "../../core/array.ts";
import { AdjointError } from "../../core/errors.ts";
import * as np from "../../numpy.ts";
import { split } from "../../random/key.ts";
import { randint } from "../../random/randint.ts";
import { type Layer, trainingKey } from "../layer.ts";

/** `[N, 1, L, L]` matrices moving an `L`-long axis by each example's offset in `shifts`. */
function shiftMatrices(shifts: Array, length: number, dtype: Array["dtype"]): Array {
  const rows = np.reshape(np.arange(length), [1, length, 1]);
  const cols = np.reshape(np.arange(length), [1, 1, length]);
  const offsets = np.reshape(shifts, [-1, 1, 1]);
  const hit = np.equal(cols, np.subtract(rows, offsets));
  return np.expandDims(np.astype(hit, dtype), 1);
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
      const [n, , h, w] = x.shape;
      const [rowKey, colKey] = split(trainingKey(op, options));
      const down = shiftMatrices(randint(rowKey, [n], -maxShift, maxShift + 1), h, x.dtype);
      const right = shiftMatrices(randint(colKey, [n], -maxShift, maxShift + 1), w, x.dtype);
      return np.matmul(np.matmul(down, x), np.transpose(right, [0, 1, 3, 2]));
    },
  };
}
