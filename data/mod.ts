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
export {
  decodeIdx,
  encodeIdx,
  type IdxData,
  type IdxDType,
  type IdxTensor,
  idxToArray,
  isGzip,
  parseIdx,
  readIdx,
} from "./idx.ts";
export {
  type Mnist,
  mnist,
  MNIST_MEAN,
  MNIST_STD,
  type MnistFiles,
  type MnistOptions,
  type MnistSplit,
  mnistSplit,
  type MnistSplitName,
} from "./mnist.ts";
export { type Batches, batches, type BatchOptions } from "./batches.ts";
