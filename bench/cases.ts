/**
 * The benchmark cases and their inputs. Inputs are plain host tensors generated once from a fixed
 * seed in the runner and handed to every contender, so all libraries compute on the same numbers.
 *
 * Layouts are NCHW / OIHW for images and kernels and `[in, out]` for dense weights; a contender
 * whose library prefers another layout converts on the host while preparing, outside timing.
 * @module
 */

/** A dense float32 tensor on the host. */
export interface HostTensor {
  /** Row-major values. */
  data: Float32Array<ArrayBuffer>;
  /** Dimensions. */
  shape: number[];
}

/** Named host tensors handed to a contender. */
export type Inputs = Record<string, HostTensor>;

/** One benchmark: what a contender prepares and then calls repeatedly. */
export type BenchCase =
  /** `a @ b` for two n x n float32 matrices, result read back. */
  | { kind: "gemm"; n: number }
  /**
   * One SGD step of the 784-128-10 relu MLP with softmax cross-entropy; loss read back. Timed
   * steps feed their updated parameters back.
   */
  | { kind: "mlp"; batch: number }
  /** One SGD step of the lecture's MNIST convnet with log-softmax NLL; loss read back. */
  | { kind: "convnet"; batch: number }
  /** A fresh jit of the MLP step, traced, compiled and run once; loss read back. */
  | { kind: "jitFresh"; batch: number }
  /** `ops` eager adds of two small vectors in a chain, result read back. */
  | { kind: "eager"; ops: number; size: number }
  /**
   * One SGD step of an LSTM language model over `seq` steps: one-hot inputs `x` and targets `y`
   * `[seq, batch, vocab]` (time-major), the LSTM (`hidden` units, gates i, f, g, o) from a zero
   * state, a dense readout to `vocab` logits at every step, mean softmax cross-entropy; loss
   * read back.
   */
  | LstmCase;

/** The LSTM training step case (see `BenchCase`). */
export interface LstmCase {
  /** Discriminant. */
  kind: "lstm";
  /** Time steps. */
  seq: number;
  /** Sequences per batch. */
  batch: number;
  /** LSTM state size. */
  hidden: number;
  /** Input and output classes. */
  vocab: number;
}

/** Whether a case is a training step (its result: the loss and the updated parameters). */
export function isTrainingStep(c: BenchCase): boolean {
  return c.kind === "mlp" || c.kind === "convnet" || c.kind === "jitFresh" || c.kind === "lstm";
}

/** The SGD learning rate of the training-step cases. */
export const learningRate = 0.01;

/** A short label for a case, e.g. `gemm 512`. */
export function caseLabel(c: BenchCase): string {
  switch (c.kind) {
    case "gemm":
      return `gemm ${c.n} f32`;
    case "mlp":
      return `MLP 784-128-10 step, batch ${c.batch}`;
    case "convnet":
      return `MNIST convnet step, batch ${c.batch}`;
    case "jitFresh":
      return `jit of the MLP step (batch ${c.batch})`;
    case "eager":
      return `eager add x${c.ops} (size ${c.size})`;
    case "lstm":
      return `LSTM step, seq ${c.seq}, batch ${c.batch}, hidden ${c.hidden}, vocab ${c.vocab}`;
  }
}

/** Floating-point operations of one call, where the case has a conventional count. */
export function caseFlops(c: BenchCase): number | undefined {
  return c.kind === "gemm" ? 2 * c.n ** 3 : undefined;
}

/** mulberry32: a small deterministic PRNG returning floats in [0, 1). */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A tensor of the given shape filled from `f`. */
function filled(shape: number[], f: () => number): HostTensor {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = f();
  return { data, shape };
}

/** Uniform(-1, 1) / sqrt(fanIn) weights. */
function weights(shape: number[], fanIn: number, rand: () => number): HostTensor {
  const s = 1 / Math.sqrt(fanIn);
  return filled(shape, () => (2 * rand() - 1) * s);
}

/** One-hot labels for `batch` examples over `classes` classes. */
function oneHot(batch: number, classes: number, rand: () => number): HostTensor {
  const data = new Float32Array(batch * classes);
  for (let i = 0; i < batch; i++) data[i * classes + Math.floor(rand() * classes)] = 1;
  return { data, shape: [batch, classes] };
}

function mlpInputs(batch: number, rand: () => number): Inputs {
  return {
    x: filled([batch, 784], rand),
    y: oneHot(batch, 10, rand),
    w1: weights([784, 128], 784, rand),
    b1: weights([128], 784, rand),
    w2: weights([128, 10], 128, rand),
    b2: weights([10], 128, rand),
  };
}

function convnetInputs(batch: number, rand: () => number): Inputs {
  return {
    x: filled([batch, 1, 28, 28], rand),
    y: oneHot(batch, 10, rand),
    c1w: weights([10, 1, 5, 5], 25, rand),
    c1b: weights([10], 25, rand),
    c2w: weights([20, 10, 5, 5], 250, rand),
    c2b: weights([20], 250, rand),
    f1w: weights([320, 50], 320, rand),
    f1b: weights([50], 320, rand),
    f2w: weights([50, 10], 50, rand),
    f2b: weights([10], 50, rand),
  };
}

/** One-hot rows `[...shape, classes]` of uniformly drawn classes. */
function oneHotRows(shape: number[], classes: number, rand: () => number): HostTensor {
  const rows = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(rows * classes);
  for (let i = 0; i < rows; i++) data[i * classes + Math.floor(rand() * classes)] = 1;
  return { data, shape: [...shape, classes] };
}

/**
 * An LSTM case's inputs: one-hot `x` and `y`, weights uniform in ±1/sqrt(hidden) (PyTorch's
 * init): `wx` `[vocab, 4 hidden]`, `wh` `[hidden, 4 hidden]`, `b` `[4 hidden]`, `wy`
 * `[hidden, vocab]`, `by` `[vocab]`.
 */
function lstmInputs(c: LstmCase, rand: () => number): Inputs {
  const h = c.hidden, g = 4 * c.hidden;
  return {
    x: oneHotRows([c.seq, c.batch], c.vocab, rand),
    y: oneHotRows([c.seq, c.batch], c.vocab, rand),
    wx: weights([c.vocab, g], h, rand),
    wh: weights([h, g], h, rand),
    b: weights([g], h, rand),
    wy: weights([h, c.vocab], h, rand),
    by: weights([c.vocab], h, rand),
  };
}

/** The inputs of a case, deterministic in `seed`. */
export function caseInputs(c: BenchCase, seed = 1): Inputs {
  const rand = prng(seed);
  switch (c.kind) {
    case "gemm":
      return {
        a: filled([c.n, c.n], () => 2 * rand() - 1),
        b: filled([c.n, c.n], () => 2 * rand() - 1),
      };
    case "mlp":
    case "jitFresh":
      return mlpInputs(c.batch, rand);
    case "convnet":
      return convnetInputs(c.batch, rand);
    case "eager":
      return {
        x: filled([c.size], rand),
        y: filled([c.size], () => 1e-3 * rand()),
      };
    case "lstm":
      return lstmInputs(c, rand);
  }
}
