/**
 * The types of weight initialisers: the function a layer calls, and the options it passes.
 * @module
 */
import type { Array } from "../core/array.ts";
import type { FloatDType } from "../random/uniform.ts";

/** Which kernel axes are the fan-in and fan-out axes. */
export interface FanAxes {
  /** The input-features axis (default -2). */
  inAxis?: number;
  /** The output-features axis (default -1). */
  outAxis?: number;
}

/** Options a layer passes when it calls an initialiser. */
export interface InitOptions extends FanAxes {
  /** float32 (default) or float64. */
  dtype?: FloatDType;
}

/** A parameter initialiser. */
export type Initializer = (key: Array, shape: readonly number[], options?: InitOptions) => Array;
