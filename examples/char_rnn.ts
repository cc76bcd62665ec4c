/**
 * A character-level LSTM language model (`deno task demo:charrnn`), trained on this repository's
 * own README and TypeScript sources (read from disk; nothing is fetched):
 *
 *   one-hot character -> LSTM (hidden H) -> dense -> softmax over the next character
 *
 * The recurrence runs with `lax.scan` over time, so the training step (forward through the
 * sequence, backward through time, gradient clipping by global norm, Adam) is one jitted
 * program whatever the sequence length. Each step trains on a batch of windows drawn at random
 * offsets of the training text, each starting from a zero state. Every epoch prints a progress
 * line, the loss on held-out text (the last part of the corpus) and a text sampled from the
 * model with `random.categorical` (itself a `lax.scan` feeding each drawn character back in); at
 * the end it writes the loss curves (SVG) to the output folder.
 *
 *   deno run --allow-read --allow-env --allow-write examples/char_rnn.ts [flags]
 *
 * `--help` lists the flags. `--allow-read` reads the corpus and the compiled-kernel cache,
 * `--allow-env` lets `jit` run the AssemblyScript compiler, and `--allow-write` writes the
 * kernel cache and the curves.
 * @module
 */
import "../kernels/wasm/backend.ts";
import {
  nonEmpty,
  nonNegativeInteger,
  oneOf,
  positiveInteger,
  positiveNumber,
  threadSetting,
} from "./flags.ts";
import {
  type Array,
  type DType,
  initWebGPU,
  jit,
  type Jitted,
  lax,
  nn,
  numpy as np,
  optim,
  random,
  setDefaultBackend,
  setThreads,
  train,
  valueAndGrad,
} from "../mod.ts";

/** The example's settings, from the command line. */
export interface Options {
  /** Training epochs (each `stepsPerEpoch` steps, then an evaluation and a sample). */
  epochs: number;
  /** Training steps per epoch. */
  stepsPerEpoch: number;
  /** Windows per training batch. */
  batchSize: number;
  /** Characters per window (the steps of the scan). */
  seqLength: number;
  /** Size of the LSTM's state. */
  hidden: number;
  /** Adam's learning rate. */
  lr: number;
  /** Largest global norm of the gradients (larger ones are scaled down to it). */
  clip: number;
  /** Characters sampled after each epoch. */
  sampleLength: number;
  /** Softmax temperature of the samples (lower: more conservative). */
  temperature: number;
  /** Text the samples continue (its characters must occur in the corpus). */
  prompt: string;
  /** Use only the first `limit` characters of the corpus (all when undefined). */
  limit?: number;
  /** Backend running the arrays. */
  backend: "wasm" | "ref" | "webgpu";
  /** Threads of the wasm kernels (default `"auto"`: the core count, adapted to the load). */
  threads?: "auto" | number;
  /** Seed of the initial parameters, the batches and the samples. */
  seed: number;
  /** Folder for the loss curves. */
  out: string;
}

/**
 * The default settings: 1000 steps (64,000 windows of 64 characters, about three passes over the
 * corpus), about two minutes on one core; the held-out loss falls from ln(vocabulary) ~ 4.6 nats
 * per character to about 2.1 (training loss about 1.8).
 */
export const DEFAULTS: Readonly<Omit<Options, "limit" | "threads">> = {
  epochs: 10,
  stepsPerEpoch: 100,
  batchSize: 32,
  seqLength: 64,
  hidden: 128,
  lr: 0.005,
  clip: 1,
  sampleLength: 240,
  temperature: 0.7,
  prompt: "export function ",
  backend: "wasm",
  seed: 1,
  out: "out",
};

const USAGE = `Trains a character-level LSTM on this repository's README and sources.

usage: deno task demo:charrnn [flags]

  --epochs N             epochs (default ${DEFAULTS.epochs})
  --steps-per-epoch N    training steps per epoch (default ${DEFAULTS.stepsPerEpoch})
  --batch-size N         windows per batch (default ${DEFAULTS.batchSize})
  --seq-length N         characters per window (default ${DEFAULTS.seqLength})
  --hidden N             LSTM state size (default ${DEFAULTS.hidden})
  --lr X                 Adam learning rate (default ${DEFAULTS.lr})
  --clip X               largest global gradient norm (default ${DEFAULTS.clip})
  --sample-length N      characters sampled after each epoch (default ${DEFAULTS.sampleLength})
  --temperature X        sampling temperature (default ${DEFAULTS.temperature})
  --prompt TEXT          text the samples continue (default "${DEFAULTS.prompt}")
  --limit N              use the first N characters of the corpus only (quick runs)
  --backend NAME         wasm | ref | webgpu (default wasm)
  --threads auto|N       threads of the wasm kernels (default auto: the core count, fewer while
                         other processes keep the cores busy)
  --seed N               seed of init, batches and samples (default ${DEFAULTS.seed})
  --out DIR              output folder for the curves (default ${DEFAULTS.out})
  --help                 this text`;

type Flag = keyof typeof FLAGS;

/** Each flag's option name and how its value is read. */
const FLAGS = {
  "--epochs": ["epochs", positiveInteger],
  "--steps-per-epoch": ["stepsPerEpoch", positiveInteger],
  "--batch-size": ["batchSize", positiveInteger],
  "--seq-length": ["seqLength", positiveInteger],
  "--hidden": ["hidden", positiveInteger],
  "--lr": ["lr", positiveNumber],
  "--clip": ["clip", positiveNumber],
  "--sample-length": ["sampleLength", positiveInteger],
  "--temperature": ["temperature", positiveNumber],
  "--prompt": ["prompt", nonEmpty],
  "--limit": ["limit", positiveInteger],
  "--backend": ["backend", oneOf("wasm", "ref", "webgpu")],
  "--threads": ["threads", threadSetting],
  "--seed": ["seed", nonNegativeInteger],
  "--out": ["out", (s: string) => s],
} as const satisfies Record<string, [keyof Options, (text: string, flag: string) => unknown]>;

/**
 * Reads the flags (`--name value` or `--name=value`); `null` means `--help` was asked for.
 * Throws an error naming the flag on an unknown flag or a bad value.
 */
export function parseArgs(args: readonly string[]): Options | null {
  const given: Partial<Record<keyof Options, unknown>> = {};
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
  return { ...DEFAULTS, ...given } as Options;
}

/** The files the corpus is made of: the README, then every `.ts` file of these folders. */
const CORPUS_FOLDERS = ["core", "numpy", "nn", "optim", "random", "train", "data"];

/** The `.ts` files under `dir`, recursively, in sorted order. */
async function sourcesUnder(dir: URL): Promise<URL[]> {
  const found: URL[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) found.push(...await sourcesUnder(url));
    else if (entry.name.endsWith(".ts")) found.push(url);
  }
  return found.sort((a, b) => (a.href < b.href ? -1 : a.href > b.href ? 1 : 0));
}

/**
 * The training text: this repository's README.md followed by the TypeScript sources of its
 * library folders (about 600 KB), each file after a blank line.
 */
export async function readCorpus(root = new URL("../", import.meta.url)): Promise<string> {
  const files = [new URL("README.md", root)];
  for (const folder of CORPUS_FOLDERS) {
    files.push(...await sourcesUnder(new URL(`${folder}/`, root)));
  }
  const texts = await Promise.all(files.map((f) => Deno.readTextFile(f)));
  return texts.join("\n\n");
}

/** The characters of a text as token ids, and back. */
export interface Vocabulary {
  /** The characters, in code point order; id `i` stands for `chars[i]`. */
  chars: string[];
  /** The ids of the characters of a text; throws on a character outside the vocabulary. */
  encode(text: string): Int32Array;
  /** The text of a sequence of ids. */
  decode(ids: ArrayLike<number>): string;
}

/** The vocabulary of the distinct characters (code points) of `text`. */
export function vocabulary(text: string): Vocabulary {
  const chars = [...new Set(text)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  const ids = new Map(chars.map((c, i) => [c, i]));
  return {
    chars,
    encode(t) {
      return Int32Array.from(t, (c) => {
        const id = ids.get(c);
        if (id === undefined) {
          throw new Error(`the character ${JSON.stringify(c)} does not occur in the corpus`);
        }
        return id;
      });
    },
    decode: (xs) => globalThis.Array.from(xs, (i) => chars[i]).join(""),
  };
}

/**
 * The LSTM language model's parameters: input weights `wx` `[V, 4H]` (a one-hot input times
 * `wx` is row `id` of it), recurrent weights `wh` `[H, 4H]` and bias `b` `[4H]`, with the gates
 * in the order input, forget, cell, output; and the readout `wy` `[H, V]`, `by` `[V]`.
 */
export interface LstmParams {
  /** Input weights `[V, 4H]`. */
  wx: Array;
  /** Recurrent weights `[H, 4H]`. */
  wh: Array;
  /** Gate biases `[4H]`. */
  b: Array;
  /** Readout weights `[H, V]`. */
  wy: Array;
  /** Readout bias `[V]`. */
  by: Array;
}

/**
 * Initial parameters for `vocab` characters and state size `hidden`: every weight uniform in
 * `±1/sqrt(hidden)` (PyTorch's `nn.LSTM`), the forget gate's bias 1 and the other biases 0.
 */
export function initLstm(key: Array, vocab: number, hidden: number, dtype: DType = "float32") {
  const [kx, kh, ky] = random.split(key, 3);
  const s = 1 / Math.sqrt(hidden);
  const u = (k: Array, shape: number[]) =>
    random.uniform(k, shape, { minval: -s, maxval: s, dtype: dtype as "float32" });
  const forget = (i: number) => (i >= hidden && i < 2 * hidden ? 1 : 0);
  return {
    wx: u(kx, [vocab, 4 * hidden]),
    wh: u(kh, [hidden, 4 * hidden]),
    b: np.array(Float64Array.from({ length: 4 * hidden }, (_, i) => forget(i)), dtype),
    wy: u(ky, [hidden, vocab]),
    by: np.zeros([vocab], dtype),
  } satisfies LstmParams;
}

/** The recurrent state: hidden `h` and cell `c`, each `[B, H]`. */
export type LstmState = [h: Array, c: Array];

/**
 * One LSTM step from state `[h, c]` given the input's projection `zx` `[B, 4H]` (`x wx`):
 * `z = zx + h wh + b` split into gates `i, f, g, o`; `c' = σ(f) c + σ(i) tanh(g)`,
 * `h' = σ(o) tanh(c')`.
 */
export function lstmCell(params: LstmParams, [h, c]: LstmState, zx: Array): LstmState {
  const z = zx.add(h.matmul(params.wh)).add(params.b);
  const [i, f, g, o] = np.split(z, 4, -1);
  const c2 = nn.sigmoid(f).mul(c).add(nn.sigmoid(i).mul(np.tanh(g)));
  return [nn.sigmoid(o).mul(np.tanh(c2)), c2];
}

/** How the recurrence runs: `lax.scan` (one loop primitive) or unrolled in JavaScript. */
export type Loop = "scan" | "unrolled";

/** The hidden states `[T, B, H]` of the LSTM run over projected inputs `zx` `[T, B, 4H]`. */
export function lstmStates(params: LstmParams, zx: Array, loop: Loop = "scan"): Array {
  const [, batch] = zx.shape;
  const zero = np.zeros([batch, params.wh.shape[0]], zx.dtype);
  const init: LstmState = [zero, zero];
  if (loop === "scan") {
    const step = (state: LstmState, z: Array): [LstmState, Array] => {
      const next = lstmCell(params, state, z);
      return [next, next[0]];
    };
    return lax.scan(step, init, zx)[1];
  }
  let state = init;
  const hs: Array[] = [];
  for (let t = 0; t < zx.shape[0]; t++) {
    state = lstmCell(params, state, np.index(zx, t));
    hs.push(state[0]);
  }
  return np.stack(hs);
}

/**
 * The mean next-character cross-entropy (nats) of the LSTM over projected inputs `zx`
 * `[T, B, 4H]` against `targets`: integer ids `[T, B]` or one-hot `[T, B, V]`.
 */
export function sequenceLoss(
  params: LstmParams,
  zx: Array,
  targets: Array,
  loop: Loop = "scan",
): Array {
  const logits = lstmStates(params, zx, loop).matmul(params.wy).add(params.by);
  return nn.softmaxCrossEntropy(logits, targets);
}

/** `sequenceLoss` of integer character ids `inputs` `[T, B]` (each projected as row `wx[id]`). */
export function charLoss(
  params: LstmParams,
  inputs: Array,
  targets: Array,
  loop: Loop = "scan",
): Array {
  return sequenceLoss(params, np.take(params.wx, inputs, 0), targets, loop);
}

/** Parameters and optimizer state. */
export interface TrainState {
  /** The model's parameters. */
  params: LstmParams;
  /** The optimizer's state. */
  opt: optim.OptState[];
}

/** A batch of windows, time-major: ids `inputs` `[T, B]` and the next characters `targets`. */
export type Batch = { inputs: Array; targets: Array };

/** Gradient clipping to global norm `clip`, then Adam with rate `lr`. */
export function optimizerFor(
  options: Pick<Options, "lr" | "clip">,
): optim.GradientTransformation<optim.OptState[]> {
  return optim.chain(optim.clipByGlobalNorm(options.clip), optim.adam(options.lr));
}

/**
 * The jitted training step: the loss of a batch and its gradient (through the scan), and the
 * optimizer's update. Returns the new state and the loss. It consumes (donates) the state and
 * the batch it is given, so `state = step(state, batch)[0]` keeps memory flat.
 */
export function trainStep(optimizer: optim.GradientTransformation<optim.OptState[]>): Jitted {
  return jit((state: TrainState, { inputs, targets }: Batch) => {
    const [loss, grads] = valueAndGrad(charLoss)(state.params, inputs, targets);
    const [updates, opt] = optimizer.update(grads, state.opt, state.params);
    return [{ params: optim.applyUpdates(state.params, updates), opt }, loss];
  }, { compile: "sync", donateArgnums: [0, 1] });
}

/** The jitted loss of a batch (donated). */
export function evalStep(): Jitted {
  return jit(
    (params: LstmParams, { inputs, targets }: Batch) => charLoss(params, inputs, targets),
    { compile: "sync", donateArgnums: [1] },
  );
}

/**
 * A jitted sampler of `length` characters: `(params, prompt, key)` runs the LSTM over the ids
 * `prompt` `[P]`, then draws each next character from `softmax(logits / temperature)` with
 * `random.categorical` and feeds it back in, in a `lax.scan` of `length` steps; returns the
 * drawn ids `[length]` (int32).
 */
export function sampler(length: number, temperature: number): Jitted {
  return jit((params: LstmParams, prompt: Array, key: Array) => {
    const zero = np.zeros([1, params.wh.shape[0]], params.wh.dtype);
    const zx = np.take(params.wx, prompt, 0).reshape([prompt.shape[0], 1, -1]);
    const primed = lax.scan(
      (state: LstmState, z: Array): [LstmState, null] => [lstmCell(params, state, z), null],
      [zero, zero],
      zx,
    )[0] as LstmState;
    const draw = (
      [state, k]: [LstmState, Array],
    ): [[LstmState, Array], Array] => {
      const [next, sub] = random.split(k);
      const logits = state[0].matmul(params.wy).add(params.by).div(temperature);
      const id = random.categorical(sub, logits); // [1]
      return [[lstmCell(params, state, np.take(params.wx, id, 0)), next], id.reshape([])];
    };
    return lax.scan(draw, [primed, key], null, { length })[1];
  }, { compile: "sync" });
}

/** Ids `[T, B]` of the windows of `ids` starting at `offsets`, and of their next characters. */
export function windows(ids: Int32Array, offsets: readonly number[], seqLength: number): Batch {
  const b = offsets.length;
  const inputs = new Int32Array(seqLength * b), targets = new Int32Array(seqLength * b);
  offsets.forEach((start, j) => {
    for (let t = 0; t < seqLength; t++) {
      inputs[t * b + j] = ids[start + t];
      targets[t * b + j] = ids[start + t + 1];
    }
  });
  return {
    inputs: np.array(inputs).reshape([seqLength, b]),
    targets: np.array(targets).reshape([seqLength, b]),
  };
}

/** `count` window starts in `[0, n - seqLength)`, uniform, from `key`. */
async function randomOffsets(key: Array, count: number, n: number, seqLength: number) {
  return globalThis.Array.from(await random.randint(key, [count], 0, n - seqLength).read());
}

/** Selects the backend named in the options (WebGPU needs an adapter). */
async function useBackend(name: Options["backend"]): Promise<void> {
  if (name === "webgpu" && !(await initWebGPU())) {
    throw new Error("--backend webgpu: this runtime has no WebGPU adapter");
  }
  setDefaultBackend(name);
}

/** One epoch's record: wall time, mean training loss, held-out loss, and the sample drawn. */
export interface EpochRecord {
  /** 1-based epoch. */
  epoch: number;
  /** Wall time of the epoch (training, evaluation and sampling), seconds. */
  seconds: number;
  /** Mean training loss over the epoch's steps (nats per character). */
  trainLoss: number;
  /** Loss on the held-out text (nats per character). */
  validLoss: number;
  /** The text sampled after the epoch (after the prompt). */
  sample: string;
}

/** What a run leaves: per-epoch records, every step's loss, the parameters and the curves. */
export interface RunResult {
  /** One record per epoch. */
  history: EpochRecord[];
  /** The training loss of every step. */
  stepLosses: number[];
  /** The held-out loss before training (about ln of the vocabulary size). */
  initialValidLoss: number;
  /** The trained parameters. */
  params: LstmParams;
  /** The vocabulary. */
  vocab: Vocabulary;
  /** Path of the loss curves (SVG). */
  svg: string;
}

/** The held-out text's batches: consecutive windows, `batchSize` per batch (at least one). */
function validationBatches(ids: Int32Array, options: Options): number[][] {
  const { seqLength: t, batchSize: b } = options;
  const count = Math.floor((ids.length - 1) / t);
  const batches: number[][] = [];
  for (let k = 0; k + b <= count; k += b) {
    batches.push(globalThis.Array.from({ length: b }, (_, j) => (k + j) * t));
  }
  if (batches.length === 0) {
    throw new Error(
      `the held-out text (${ids.length} characters) is shorter than one batch of ` +
        `${b} windows of ${t + 1}: use a longer --limit or a smaller --batch-size`,
    );
  }
  return batches;
}

/** Trains as the options say, printing progress, losses and samples; writes the curves. */
export async function main(options: Options): Promise<RunResult> {
  await useBackend(options.backend);
  if (options.threads !== undefined) setThreads(options.threads);
  let text = await readCorpus();
  if (options.limit !== undefined) text = text.slice(0, options.limit);
  const vocab = vocabulary(text);
  const ids = vocab.encode(text);
  const prompt = vocab.encode(options.prompt);
  // The last 5% is held out (characters the model never trains on).
  const split = Math.floor(ids.length * 0.95);
  const trainIds = ids.subarray(0, split), validIds = ids.subarray(split);
  if (trainIds.length <= options.seqLength + 1) {
    throw new Error(`the training text (${trainIds.length} characters) is shorter than a window`);
  }
  const valid = validationBatches(validIds, options);
  const v = vocab.chars.length;
  console.log(
    `char-RNN on ${options.backend}: ${ids.length} characters (${trainIds.length} training, ` +
      `${validIds.length} held out), vocabulary ${v}; LSTM ${options.hidden}, windows of ` +
      `${options.seqLength}, batch ${options.batchSize}, adam lr ${options.lr}, clip ` +
      `${options.clip}, ${options.epochs} x ${options.stepsPerEpoch} steps, seed ${options.seed}`,
  );

  const [initKey, batchKey, sampleKey] = random.split(random.key(options.seed), 3);
  const params = initLstm(initKey, v, options.hidden);
  const optimizer = optimizerFor(options);
  const step = trainStep(optimizer);
  const evaluateBatch = evalStep();
  const sample = sampler(options.sampleLength, options.temperature);
  const promptIds = np.array(prompt);
  const validLoss = async (p: LstmParams) => {
    let sum = 0;
    for (const offsets of valid) {
      sum += (await evaluateBatch(p, windows(validIds, offsets, options.seqLength)).read())[0];
    }
    return sum / valid.length;
  };
  let state: TrainState = { params, opt: optimizer.init(params) };
  const initialValidLoss = await validLoss(state.params);
  console.log(
    `held-out loss before training ${initialValidLoss.toFixed(4)} (ln ${v} = ` +
      `${Math.log(v).toFixed(4)})`,
  );

  const history: EpochRecord[] = [];
  const stepLosses: number[] = [];
  let keys = batchKey, sampleKeys = sampleKey;
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const start = performance.now();
    const label = `epoch ${epoch}/${options.epochs}`;
    const bar = train.progress({ total: options.stepsPerEpoch, label, unit: "step" });
    let sum = 0;
    for (let i = 1; i <= options.stepsPerEpoch; i++) {
      const [key, next] = random.split(keys);
      keys = next;
      const offsets = await randomOffsets(
        key,
        options.batchSize,
        trainIds.length,
        options.seqLength,
      );
      const out = step(state, windows(trainIds, offsets, options.seqLength)) as [
        TrainState,
        Array,
      ];
      state = out[0];
      const loss = (await out[1].read())[0];
      train.checkFiniteMetrics("demo:charrnn", { loss }, epoch, i);
      stepLosses.push(loss);
      sum += loss;
      bar.update(i, { loss: sum / i });
    }
    const trainLoss = sum / options.stepsPerEpoch;
    bar.done({ loss: trainLoss });
    const held = await validLoss(state.params);
    const [key, next] = random.split(sampleKeys);
    sampleKeys = next;
    const drawn = vocab.decode(await sample(state.params, promptIds, key).read());
    const seconds = (performance.now() - start) / 1000;
    console.log(
      `  held-out loss ${held.toFixed(4)}  [epoch ${train.formatDuration(seconds)}]\n` +
        `  sample: ${JSON.stringify(options.prompt + drawn)}`,
    );
    history.push({ epoch, seconds, trainLoss, validLoss: held, sample: drawn });
  }

  await Deno.mkdir(options.out, { recursive: true });
  const svg = await train.writePlotSvg(`${options.out}/char_rnn.svg`, [
    {
      title: "training loss per step",
      xLabel: "step",
      yLabel: "nats per character",
      series: [{ name: "train (step)", y: stepLosses }],
    },
    ...train.historyCharts(
      history.map(({ epoch, seconds, trainLoss, validLoss }) => ({
        epoch,
        seconds,
        trainLoss,
        validLoss,
      })),
    ),
  ]);
  const times = history.map((h) => `${h.seconds.toFixed(1)}s`).join(", ");
  console.log(`\nwall time per epoch (the first includes compiling the step): ${times}`);
  console.log(`curves: ${svg}`);
  return { history, stepLosses, initialValidLoss, params: state.params, vocab, svg };
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
