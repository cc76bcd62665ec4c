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
// Whole files re-exported, as in nn/mod.ts: deno doc lists a namespace's members only so.
export * from "./progress.ts";
export * from "./plot_svg.ts";
export * from "./checkpoint.ts";
export * from "./divergence.ts";
export * from "./early_stopping.ts";
export * from "./loop.ts";
