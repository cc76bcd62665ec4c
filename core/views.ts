/**
 * The primitives fused kernels read as views of their operand instead of copying it: the
 * strided views (strided_views.ts) and pads (padded_view.ts), and which of them read other
 * elements than each point's own.
 * @module
 */
import { MOVING_VIEWS, STRIDED_VIEWS } from "./strided_views.ts";

/** Whether primitive `name` is read as a view where fusion makes it one. */
export function isView(name: string): boolean {
  return name in STRIDED_VIEWS || name === "pad";
}

/** Whether view `name` reads other elements of its operand than each point's own. */
export function movesElements(name: string): boolean {
  return MOVING_VIEWS.has(name) || name === "pad";
}
