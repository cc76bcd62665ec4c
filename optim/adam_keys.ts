/**
 * The option keys of the Adam family, checked by `scaleByAdam`, `adam` and `adamw`.
 * @module
 */

/** The keys of `AdamOptions`. */
export const ADAM_OPTIONS: readonly string[] = ["b1", "b2", "eps", "epsRoot"];
