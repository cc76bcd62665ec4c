/**
 * An optional training loop: epochs of minibatch steps, an evaluation after each epoch, a
 * progress display, a history of per-epoch metrics, and callbacks (such as early stopping) that
 * can end training. The training state is any value (typically `{ params, optState }`), so the
 * step function stays a pure function that `jit` can compile. A plain `for` loop over
 * `data.batches` does the same job when more control is wanted.
 *
 * ```ts ignore
 * const { state, history } = await fit({
 *   state: { params, optState },
 *   epochs: 10,
 *   batches: (epoch) => batches(train, { batchSize: 64, order: random.permutation(keys[epoch], n) }),
 *   step: (s, { x, y }) => trainStep(s, x, y), // returns [newState, { loss, accuracy }]
 *   evaluate: (s) => ({ valLoss: ..., valAccuracy: ... }),
 *   callbacks: [earlyStopping({ monitor: "valLoss", patience: 3, restoreBest: true })],
 * });
 * ```
 * @module
 */
import { Array } from "../core/array.ts";
import { AdjointError } from "../core/errors.ts";
import { checkFiniteMetrics } from "./divergence.ts";
import { type Metrics, progress, type ProgressOptions } from "./progress.ts";

/** Metric values as numbers or scalar arrays (read after the step). */
export type MetricValues = Record<string, number | Array>;

/** One epoch's record: its number (from 1), its duration, and the mean of each metric. */
export interface EpochLog {
  /** The epoch, counting from 1. */
  epoch: number;
  /** Wall time of the epoch's training and evaluation, in seconds. */
  seconds: number;
  /** Training metrics (means over the epoch's batches) and evaluation metrics. */
  [metric: string]: number;
}

/** Hooks that `fit` calls; `onEpochEnd` returning true ends training after that epoch. */
export interface Callback<S> {
  /** Called after each epoch's evaluation with its log and the state at that point. */
  onEpochEnd?(log: EpochLog, state: S): boolean | void | Promise<boolean | void>;
  /** Called once at the end; may replace the final state (e.g. by the best one seen). */
  onTrainEnd?(state: S): S;
}

/** What `fit` needs: the initial state, the data per epoch, and the step. */
export interface FitOptions<S, B> {
  /** The initial training state. */
  state: S;
  /** The number of epochs (callbacks may stop earlier). */
  epochs: number;
  /** The minibatches of an epoch (1-based), e.g. `batches(train, { ... })` in a new order. */
  batches: (epoch: number) => AsyncIterable<B> | Iterable<B>;
  /** One training step: the new state and metrics for this batch (e.g. loss, accuracy). */
  step: (state: S, batch: B) => [S, MetricValues] | Promise<[S, MetricValues]>;
  /** Metrics of the state after an epoch, e.g. validation loss and accuracy. */
  evaluate?: (state: S, epoch: number) => MetricValues | Promise<MetricValues>;
  /** Callbacks, called in order. */
  callbacks?: Callback<S>[];
  /** Show a progress display per epoch (default true); options are passed on. */
  progress?: boolean | Omit<ProgressOptions, "total" | "label">;
}

/** What `fit` returns. */
export interface FitResult<S> {
  /** The final state (possibly replaced by a callback's `onTrainEnd`). */
  state: S;
  /** One log per epoch run. */
  history: EpochLog[];
  /** Whether a callback ended training before `epochs`. */
  stoppedEarly: boolean;
}

async function readMetrics(values: MetricValues): Promise<Metrics> {
  const out: Metrics = {};
  for (const [name, v] of Object.entries(values)) {
    if (typeof v === "number") {
      out[name] = v;
    } else if (v instanceof Array && v.size === 1) {
      out[name] = Number((await v.read())[0]);
    } else {
      throw new AdjointError(
        "fit",
        `metric "${name}" must be a number or a scalar array, got ` +
          (v instanceof Array ? `shape [${v.shape}]` : typeof v),
      );
    }
  }
  return out;
}

function batchCount(it: unknown): number | undefined {
  const length = (it as { length?: unknown }).length;
  return typeof length === "number" ? length : undefined;
}

/**
 * Trains for `epochs` epochs (see `FitOptions`) and returns the final state and the history. A
 * step whose metrics are not all finite (a diverged loss) ends training with an error naming the
 * epoch and the step.
 */
export async function fit<S, B>(options: FitOptions<S, B>): Promise<FitResult<S>> {
  let state = options.state;
  const callbacks = options.callbacks ?? [];
  const history: EpochLog[] = [];
  const show = options.progress ?? true;
  let stop = false;
  for (let epoch = 1; epoch <= options.epochs && !stop; epoch++) {
    const start = performance.now();
    const data = options.batches(epoch);
    const bar = show === false ? null : progress({
      ...(show === true ? {} : show),
      total: batchCount(data),
      label: `epoch ${epoch}/${options.epochs}`,
      unit: "batch",
    });
    const sums: Metrics = {};
    let count = 0;
    for await (const batch of data) {
      const [next, values] = await options.step(state, batch);
      state = next;
      const metrics = await readMetrics(values);
      count++;
      checkFiniteMetrics("fit", metrics, epoch, count);
      for (const [k, v] of Object.entries(metrics)) sums[k] = (sums[k] ?? 0) + v;
      bar?.update(count, Object.fromEntries(Object.keys(sums).map((k) => [k, sums[k] / count])));
    }
    const train = Object.fromEntries(Object.keys(sums).map((k) => [k, sums[k] / count]));
    const evaluated = options.evaluate
      ? await readMetrics(await options.evaluate(state, epoch))
      : {};
    bar?.done({ ...train, ...evaluated });
    const log: EpochLog = {
      ...train,
      ...evaluated,
      epoch,
      seconds: (performance.now() - start) / 1000,
    };
    history.push(log);
    for (const cb of callbacks) {
      if (await cb.onEpochEnd?.(log, state)) stop = true;
    }
  }
  for (const cb of callbacks) state = cb.onTrainEnd?.(state) ?? state;
  return { state, history, stoppedEarly: history.length < options.epochs };
}
