/**
 * The lecture's regularisers on a small problem that overfits: 100 noisy training examples with
 * 20 inputs, of which only 2 matter (the label is `x0 + x1 > 0`, flipped for 10% of examples),
 * and a 20-32-2 tanh MLP trained by full-batch gradient descent. The same network, from the same
 * initial weights, is trained without regularisation, with an L2 penalty, with an L1 penalty
 * (as a plain gradient term, and as a proximal soft-thresholding step), with dropout, with noisy
 * inputs, and with early stopping on the validation loss. A table reports training and
 * validation loss and how many weights are exactly zero or merely tiny: as the lecture says, L2
 * moves useless weights towards 0 without reaching it, while L1's proximal step sets them to 0
 * (its plain gradient only makes them hover around 0).
 *
 *   deno run --allow-read --allow-env --allow-write examples/regularization.ts [steps] [out.svg]
 *
 * Without `--allow-write` the table is printed and the SVG of validation curves is skipped.
 * @module
 */
import { type Array, grad, jit, nn, numpy as np, optim, random, train, tree } from "../mod.ts";

const STEPS = Number(Deno.args[0] ?? 2000);
const SVG_PATH = Deno.args[1] ?? "regularization.svg";
const EVAL_EVERY = 10;
const INPUTS = 20, HIDDEN = 32, LR = 0.5;

interface Data {
  x: Array;
  y: Array;
}

/** `n` examples: standard normal inputs, label `x0 + x1 > 0` flipped with probability 0.1. */
function dataset(key: Array, n: number): Data {
  const [kx, kflip] = random.split(key);
  const x = random.normal(kx, [n, INPUTS]);
  const clean = np.greater(np.add(np.index(x, np.s(), 0), np.index(x, np.s(), 1)), 0);
  const flipped = random.bernoulli(kflip, 0.1, [n]);
  return { x, y: np.astype(np.notEqual(clean, flipped), "int32") };
}

const [trainKey, valKey, initKey, noiseKey] = random.split(random.key(0), 4);
const trainSet = dataset(trainKey, 100);
const valSet = dataset(valKey, 500);

type Params = unknown[];

interface Variant {
  name: string;
  /** The network (layers with parameters must be the same as the baseline's). */
  net: nn.Layer<Params>;
  /** A penalty on the parameters added to the training loss. */
  penalty?: (p: Params) => Array;
  /** The threshold of a proximal L1 step after each gradient step. */
  proximal?: number;
  /** Stop when the validation loss has not improved for this many evaluations. */
  patience?: number;
}

const hidden = [nn.dense(HIDDEN), nn.tanh];
const output = nn.dense(2);
const plain = nn.serial(...hidden, output);
const L2 = 1e-2, L1 = 2e-2;
const VARIANTS: Variant[] = [
  { name: "none", net: plain },
  {
    name: `L2 penalty ${L2}`,
    net: plain,
    penalty: (p) => nn.l2Penalty(p, { mask: nn.weightsOnly }).mul(L2),
  },
  {
    name: `L1 gradient ${L1}`,
    net: plain,
    penalty: (p) => nn.l1Penalty(p, { mask: nn.weightsOnly }).mul(L1),
  },
  { name: `L1 proximal ${L1}`, net: plain, proximal: LR * L1 },
  { name: "dropout 0.5", net: nn.serial(...hidden, nn.dropout(0.5), output) },
  { name: "noisy inputs 0.5", net: nn.serial(nn.gaussianNoise(0.5), ...hidden, output) },
  { name: "early stopping", net: plain, patience: 10 },
];

// Every variant starts from these weights (parameter-free layers have null parameters).
const [, initial] = plain.init(initKey, [-1, INPUTS]);
const initialFor = (net: nn.Layer<Params>): Params => {
  const [, fresh] = net.init(initKey, [-1, INPUTS]);
  const weights = initial.filter((p) => p !== null);
  return fresh.map((p) => (p === null ? null : weights.shift()));
};

const dataLoss = (net: nn.Layer<Params>, p: Params, d: Data) =>
  nn.softmaxCrossEntropy(net.apply(p, d.x), d.y);

/** Counts kernel weights that are exactly zero and those below 1e-3 in magnitude. */
function zeroCounts(p: Params): [number, number, number] {
  const kernels = (tree.leaves(p) as Array[]).filter((w) => w.ndim > 1);
  const values = kernels.flatMap((w) => (w.toArray() as number[][]).flat());
  return [
    values.filter((v) => v === 0).length,
    values.filter((v) => Math.abs(v) < 1e-3).length,
    values.length,
  ];
}

interface Result {
  trainLoss: number;
  valLoss: number;
  valAccuracy: number;
  zeros: [number, number, number];
  steps: number;
  curve: number[];
}

function run(v: Variant): Result {
  const objective = (p: Params, key: Array) => {
    const l = nn.softmaxCrossEntropy(
      v.net.apply(p, trainSet.x, { key, training: true }),
      trainSet.y,
    );
    return v.penalty ? l.add(v.penalty(p)) : l;
  };
  const sgd = optim.sgd(LR);
  const opt = v.proximal ? optim.chain(sgd, optim.proximalL1(v.proximal, nn.weightsOnly)) : sgd;
  const step = jit((p: Params, s: optim.OptState[], key: Array): [Params, optim.OptState[]] => {
    const [updates, next] = opt.update(grad(objective)(p, key), s, p);
    return [optim.applyUpdates(p, updates), next];
  });
  const stopper = v.patience === undefined
    ? null
    : train.earlyStopping({ monitor: "valLoss", patience: v.patience, restoreBest: true });
  let params = initialFor(v.net), state = opt.init(params);
  const curve: number[] = [];
  let steps = 0;
  while (steps < STEPS) {
    [params, state] = step(params, state, random.foldIn(noiseKey, steps));
    steps++;
    if (steps % EVAL_EVERY === 0) {
      const valLoss = dataLoss(v.net, params, valSet).item();
      curve.push(valLoss);
      if (stopper?.onEpochEnd({ epoch: steps / EVAL_EVERY, valLoss }, params)) break;
    }
  }
  if (stopper) params = stopper.onTrainEnd(params);
  return {
    trainLoss: dataLoss(v.net, params, trainSet).item(),
    valLoss: dataLoss(v.net, params, valSet).item(),
    valAccuracy: nn.accuracy(v.net.apply(params, valSet.x), valSet.y).item(),
    zeros: zeroCounts(params),
    steps: stopper && stopper.bestEpoch ? stopper.bestEpoch * EVAL_EVERY : steps,
    curve,
  };
}

console.log(
  `20-${HIDDEN}-2 tanh MLP, 100 training / 500 validation examples, gradient descent lr ${LR}, ` +
    `${STEPS} steps\n`,
);
const header = ["regulariser", "train loss", "val loss", "val acc", "w = 0", "|w| < 1e-3", "steps"];
const widths = [20, 12, 10, 9, 8, 12, 7];
const row = (cells: string[]) =>
  cells.map((c, i) => (i ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("");
console.log(row(header));
const curves: train.Series[] = [];
for (const v of VARIANTS) {
  const r = run(v);
  const [exact, tiny, total] = r.zeros;
  console.log(row([
    v.name,
    r.trainLoss.toFixed(4),
    r.valLoss.toFixed(4),
    `${(100 * r.valAccuracy).toFixed(1)}%`,
    `${exact}/${total}`,
    String(tiny),
    String(r.steps),
  ]));
  curves.push({ name: v.name, y: r.curve, x: r.curve.map((_, i) => (i + 1) * EVAL_EVERY) });
}
console.log(
  `\n"steps" is where the weights come from: early stopping restores the best evaluation.`,
);

const chart: train.Chart = {
  title: "validation loss",
  xLabel: "step",
  yLabel: "cross-entropy",
  series: curves,
};
try {
  console.log(`validation curves: ${await train.writePlotSvg(SVG_PATH, chart)}`);
} catch (e) {
  if (!(e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied)) throw e;
  console.log(`(run with --allow-write to save the validation curves to ${SVG_PATH})`);
}
