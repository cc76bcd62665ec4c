/**
 * How the 2-d spatial layers (convolution and pooling over NCHW inputs) take window sizes,
 * strides and padding.
 * @module
 */

/** A size for both spatial axes, or one per axis. */
export type Size2 = number | [number, number];

/** Spatial padding: `"VALID"` (none), `"SAME"`, a number for both sides of both axes, or pairs. */
export type Padding2 = "SAME" | "VALID" | number | [[number, number], [number, number]];
