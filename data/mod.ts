/**
 * Datasets: the IDX file format, MNIST, and minibatches with shuffling and prefetch.
 *
 * ```ts ignore
 * import { data } from "../mod.ts";
 * const { train } = await data.mnist();
 * for await (const { x, y } of data.batches({ x: train.images, y: train.labels }, { batchSize: 64 })) {
 *   // one training step on x: [64, 1, 28, 28], y: [64]
 * }
 * ```
 * @module
 */
// Whole files re-exported, as in nn/mod.ts: deno doc lists a namespace's members only so.
export * from "./idx.ts";
export * from "./mnist.ts";
export * from "./batches.ts";
