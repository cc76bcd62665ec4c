/**
 * Minibatches: a dataset is a pytree of arrays sharing their first dimension (e.g.
 * `{ x: images, y: labels }`); `batches` yields the same pytree with `batchSize` examples per
 * leaf, in a given order (a shuffle) or in storage order. The next batch is gathered while the
 * consumer works on the current one: whenever the training step awaits (a GPU or worker result),
 * the gather for the following batch runs in that gap.
 *
 * ```ts
 * import { numpy as np } from "../mod.ts";
 * import { batches } from "./batches.ts";
 * const data = { x: np.arange(10).reshape([5, 2]), y: np.arange(5) };
 * for await (const { x, y } of batches(data, { batchSize: 2, order: [4, 3, 2, 1, 0] })) {
 *   console.log(x.shape, y.toArray()); // [2, 2] [4, 3], then [2, 2] [2, 1], then [1, 2] [0]
 * }
 * ```
 * @module
 */
import { Array, ConcreteArray } from "../numpy.ts";
import { allocTyped, type TypedArray } from "../core/dtype.ts";
import { AdjointError } from "../core/errors.ts";
import { flatten, type Tree, unflatten } from "../core/tree.ts";
import { schedule } from "../core/tasks.ts";

/** How to cut a dataset into minibatches. */
export interface BatchOptions {
  /** Examples per batch. */
  batchSize: number;
  /**
   * The order to visit examples in: a permutation of `0..n-1` as numbers or an int32 array
   * (e.g. `random.permutation(key, n)` for a shuffle that depends only on the key). Default:
   * storage order.
   */
  order?: Array | ArrayLike<number>;
  /** Drop a last batch smaller than `batchSize` (keeps shapes static for `jit`). */
  dropRemainder?: boolean;
}

/** One pass over a dataset in minibatches, iterable with `for await`; `length` batches. */
export interface Batches<T> extends AsyncIterable<T> {
  /** The number of batches in a pass. */
  readonly length: number;
  /** The number of examples in the dataset. */
  readonly examples: number;
}

function checkOrder(order: ArrayLike<number>, n: number): Int32Array {
  const op = "batches";
  if (order.length !== n) {
    throw new AdjointError(
      op,
      `order must be a permutation of the ${n} examples, but it has ${order.length} entries`,
    );
  }
  const seen = new Uint8Array(n);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = order[i];
    if (!Number.isInteger(k) || k < 0 || k >= n || seen[k]) {
      throw new AdjointError(
        op,
        `order must be a permutation of 0..${n - 1}, but entry ${i} is ${k}` +
          (seen[k] ? " (repeated)" : ""),
      );
    }
    seen[k] = 1;
    out[i] = k;
  }
  return out;
}

/**
 * A gather that runs in a later task unless it is needed sooner, then runs on demand. An error
 * is kept and thrown to the consumer rather than escaping from the timer.
 */
class Prefetch<T> {
  #result: { value: T } | { error: unknown } | null = null;
  #cancel: () => void;
  constructor(private readonly make: () => T) {
    this.#cancel = schedule(() => this.#run());
  }
  #run(): void {
    try {
      this.#result = { value: this.make() };
    } catch (error) {
      this.#result = { error };
    }
  }
  get(): T {
    if (!this.#result) {
      this.#cancel();
      this.#run();
    }
    const r = this.#result!;
    if ("error" in r) throw r.error;
    return r.value;
  }
  cancel(): void {
    this.#cancel();
  }
}

/**
 * Cuts a pytree of arrays with a common first dimension into minibatches (see `BatchOptions`).
 * Each pass reads the data once (`await x.read()`, so any backend works) and uploads each batch
 * to the backend of the leaf it comes from.
 */
export function batches<T extends Tree<Array>>(data: T, options: BatchOptions): Batches<T> {
  const op = "batches";
  const [leaves, def] = flatten(data);
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new AdjointError(op, `batchSize must be a positive integer, got ${batchSize}`);
  }
  if (leaves.length === 0) throw new AdjointError(op, `the dataset ${def} has no arrays`);
  const arrays = leaves.map((leaf, i) => {
    if (!(leaf instanceof Array) || leaf.ndim === 0) {
      throw new AdjointError(
        op,
        `every leaf must be an array with a batch dimension; leaf ${i} of ${def} is ` +
          (leaf instanceof Array ? "a scalar array" : typeof leaf),
      );
    }
    return leaf.concrete(op);
  });
  const n = arrays[0].shape[0];
  const other = arrays.find((a) => a.shape[0] !== n);
  if (other) {
    throw new AdjointError(
      op,
      `all leaves must have the same first dimension: found [${arrays[0].shape}] and ` +
        `[${other.shape}]`,
    );
  }
  const orderArg = options.order;
  if (orderArg instanceof Array && orderArg.shape.join() !== String(n)) {
    throw new AdjointError(
      op,
      `order must be a permutation of the ${n} examples (shape [${n}]), got shape ` +
        `[${orderArg.shape}]`,
    );
  }
  // An order given as an array is read (asynchronously, for any backend) when a pass starts.
  const jsOrder = orderArg === undefined || orderArg instanceof Array
    ? null
    : checkOrder(orderArg, n);
  const readOrder = async () =>
    orderArg instanceof Array ? checkOrder(await orderArg.read(), n) : jsOrder;
  const length = options.dropRemainder ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);

  const gather = (host: TypedArray[], order: Int32Array | null, b: number): T => {
    const start = b * batchSize, count = Math.min(batchSize, n - start);
    const out = arrays.map((a, j) => {
      const row = a.size / n;
      const src = host[j];
      let dst: TypedArray;
      if (order === null) {
        dst = src.slice(start * row, (start + count) * row);
      } else {
        dst = allocTyped(a.dtype, count * row);
        for (let r = 0; r < count; r++) {
          const k = order[start + r];
          dst.set(src.subarray(k * row, (k + 1) * row), r * row);
        }
      }
      return ConcreteArray.fromHost(dst, [count, ...a.shape.slice(1)], a.dtype, a.backend.name);
    });
    return unflatten(def, out) as T;
  };

  return {
    length,
    examples: n,
    async *[Symbol.asyncIterator]() {
      const host = await Promise.all(arrays.map((a) => a.read()));
      const order = await readOrder();
      let next = length > 0 ? new Prefetch(() => gather(host, order, 0)) : null;
      try {
        for (let b = 0; b < length; b++) {
          const current = next!.get();
          next = b + 1 < length ? new Prefetch(() => gather(host, order, b + 1)) : null;
          yield current;
        }
      } finally {
        next?.cancel();
      }
    },
  };
}
