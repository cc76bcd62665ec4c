/**
 * The lecture's comparison of gradient descent variants: the same small MLP, from the same
 * initial weights, trained on the same synthetic problem (three interleaved spirals) with SGD,
 * momentum, Nesterov momentum, Adagrad, Adadelta, RMSprop and Adam. Prints a table of the
 * training loss as it goes and writes every loss curve into one SVG file.
 *
 *   deno run --allow-read --allow-env --allow-write examples/optimizers.ts [steps] [out.svg]
 *
 * Without `--allow-write` the table is printed and the SVG is skipped.
 * @module
 */
import { grad, jit, nn, numpy as np, optim, random, train } from "../mod.ts";

const STEPS = Number(Deno.args[0] ?? 300);
const SVG_PATH = Deno.args[1] ?? "optimizers.svg";
const REPORT_EVERY = Math.max(1, Math.round(STEPS / 6));

/** Three spiral arms of `perClass` points with a little angular noise, labelled 0, 1, 2. */
function spirals(key: np.Array, perClass: number): { x: np.Array; y: np.Array } {
  const r = np.linspace(0.05, 1, perClass);
  const noise = random.normal(key, [3, perClass]);
  const arms = [0, 1, 2].map((c) => {
    const t = np.add(np.add(np.multiply(r, 4), 4 * c), np.multiply(np.index(noise, c), 0.2));
    return np.stack([np.multiply(r, np.sin(t)), np.multiply(r, np.cos(t))], 1);
  });
  const labels = [0, 1, 2].flatMap((c) => new Array<number>(perClass).fill(c));
  return { x: np.concatenate(arms, 0), y: np.array(labels, "int32") };
}

const [dataKey, initKey] = random.split(random.key(0));
const { x, y } = spirals(dataKey, 100);
const net = nn.serial(nn.dense(32), nn.tanh, nn.dense(32), nn.tanh, nn.dense(3));
const [, initial] = net.init(initKey, [-1, 2]);
type Params = typeof initial;
const loss = (p: Params) => nn.softmaxCrossEntropy(net.apply(p, x), y);

// Learning rates in each method's usual range (Adadelta's is 1 by design).
const OPTIMIZERS: [string, optim.GradientTransformation<optim.OptState[]>][] = [
  ["sgd", optim.sgd(0.1)],
  ["momentum", optim.sgd(0.1, { momentum: 0.9 })],
  ["nesterov", optim.sgd(0.1, { momentum: 0.9, nesterov: true })],
  ["adagrad", optim.adagrad(0.1)],
  ["adadelta", optim.adadelta(1)],
  ["rmsprop", optim.rmsprop(0.01)],
  ["adam", optim.adam(0.01)],
];

/** Trains from the shared initial weights; returns the loss before every step and after the last. */
function run(opt: optim.GradientTransformation<optim.OptState[]>): number[] {
  const step = jit((p: Params, s: optim.OptState[]): [Params, optim.OptState[], np.Array] => {
    const l = loss(p);
    const [updates, next] = opt.update(grad(loss)(p), s, p);
    return [optim.applyUpdates(p, updates), next, l];
  });
  let params = initial, state = opt.init(initial);
  const losses: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    let l: np.Array;
    [params, state, l] = step(params, state);
    losses.push(l.item());
  }
  losses.push(loss(params).item());
  return losses;
}

const checkpoints = [
  ...new Set([0, ...Array.from({ length: 6 }, (_, i) => (i + 1) * REPORT_EVERY), STEPS]),
]
  .filter((s) => s <= STEPS);
console.log(`training loss of a 2-32-32-3 tanh MLP on 300 spiral points, full batch`);
console.log(["optimizer".padEnd(10), ...checkpoints.map((s) => `step ${s}`.padStart(10))].join(""));
const curves: train.Series[] = [];
for (const [name, opt] of OPTIMIZERS) {
  const start = performance.now();
  const losses = run(opt);
  const seconds = ((performance.now() - start) / 1000).toFixed(1);
  curves.push({ name, y: losses, x: losses.map((_, i) => i) });
  console.log(
    [
      name.padEnd(10),
      ...checkpoints.map((s) => losses[s].toFixed(4).padStart(10)),
      `  (${seconds} s)`,
    ]
      .join(""),
  );
}

const chart: train.Chart = {
  title: "training loss",
  xLabel: "step",
  yLabel: "cross-entropy",
  logY: true,
  series: curves,
};
try {
  console.log(`loss curves: ${await train.writePlotSvg(SVG_PATH, chart)}`);
} catch (e) {
  if (!(e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied)) throw e;
  console.log(`(run with --allow-write to save the loss curves to ${SVG_PATH})`);
}
