/**
 * Training utilities: a progress display, loss/accuracy curves as SVG, safetensors checkpoints,
 * early stopping, a check that training has not diverged, and an optional training loop.
 *
 * ```ts ignore
 * import { train } from "../mod.ts";
 * const { state, history } = await train.fit({ state, epochs: 10, batches, step, evaluate });
 * console.log(await train.writePlotSvg("curves.svg", train.historyCharts(history)));
 * await train.saveCheckpoint("net.safetensors", state.params);
 * ```
 * @module
 */
export {
  formatDuration,
  type Metrics,
  type Progress,
  progress,
  type ProgressOptions,
} from "./progress.ts";
export {
  type Chart,
  historyCharts,
  type PlotOptions,
  plotSvg,
  type Series,
  writePlotSvg,
} from "./plot_svg.ts";
export {
  decodeCheckpoint,
  decodeSafetensors,
  encodeCheckpoint,
  encodeSafetensors,
  leafPaths,
  loadCheckpoint,
  type LoadOptions,
  type Safetensors,
  saveCheckpoint,
  type SaveOptions,
} from "./checkpoint.ts";
export { checkFiniteMetrics } from "./divergence.ts";
export { type EarlyStopping, earlyStopping, type EarlyStoppingOptions } from "./early_stopping.ts";
export {
  type Callback,
  type EpochLog,
  fit,
  type FitOptions,
  type FitResult,
  type MetricValues,
} from "./loop.ts";
