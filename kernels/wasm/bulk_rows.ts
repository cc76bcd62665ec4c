/**
 * Late rewrites of eager kernels that move whole contiguous rows with one `memory.copy` each
 * (a call, but V8 runs it as a native memmove, faster in bulk than the vector loops): rows of
 * strided copies (`bulkRow`) and gathered rows of takes (`gatheredRow`). Each is lines that a
 * lanes loop runs first on each row and that `continue` past the row's loops where the row is
 * long enough; jit kernels, neither strided nor indexed, keep their loops.
 * @module
 */
import type { LoopKernel } from "../lowering/kernel_ir.ts";
import { axisSize, isSized, isStrided } from "../lowering/sized_kernel.ts";
import type { VectorPlan } from "../lowering/vectorize.ts";
import { SHIFT } from "./render_assemblyscript.ts";
import { gatheredName, loadPlace, type Places } from "./view_addresses.ts";

/** Rows of at least this many bytes that a strided copy moves whole are one `memory.copy`. */
const COPY_BYTES = 512;

/**
 * Gathered rows of at least this many bytes are one `memory.copy`: the v128 loops were slower
 * from 128 bytes on (1.10-1.13x at 128 bytes, 1.31x at 512; 0.9x at 64; bench/builds.ts,
 * eager take of [10000, r] by 4096 positions, 41 rounds).
 */
const GATHER_BYTES = 128;

/**
 * The one store of `k` when it writes the value of an unpadded load of its dtype, both
 * contiguous along the innermost axis, in a lanes loop; else undefined.
 */
function rowMove(k: LoopKernel, plan: VectorPlan) {
  const last = k.space.length - 1;
  if (plan.mode !== "lanes" || last < 1 || k.stores.length !== 1) return;
  const [s] = k.stores, e = s.value, d = k.outputs[s.output];
  if (s.reduce || s.scatter || e.kind !== "load" || e.dtype !== d) return;
  const l = k.loads[e.load];
  if (l.padding || plan.loads.get(e.load) !== "contiguous" || s.strides[last] !== 1) return;
  return { store: s, load: e, bytes: `(${axisSize(k, last)} << ${SHIFT[d]})` };
}

/**
 * The lines copying a row of `bytes` bytes from `from` to `to` where it holds at least `least`,
 * `first` run before the copy, then going on to the next row.
 */
const wholeRow = (bytes: string, least: number, to: string, from: string, first: string[] = []) => [
  `if (${bytes} >= ${least}) {`,
  ...first.map((l) => `  ${l}`),
  `  memory.copy(${to}, ${from}, ${bytes});`,
  `  continue;`,
  `}`,
];

/**
 * For a strided kernel (sized_kernel.ts: an eager copy's) moving whole rows (`places` holding
 * the row's addresses: strided_nest.ts `stridedNest`): each row of at least `COPY_BYTES` bytes
 * (a run-time size) is one `memory.copy` (1.1-1.3x faster than the vector loops).
 */
export function bulkRow(k: LoopKernel, plan: VectorPlan, places: Places): string[] | undefined {
  const move = isStrided(k) ? rowMove(k, plan) : undefined;
  if (!move || k.loads[move.load.load].gather) return;
  const from = places.input(k.loads[move.load.load].input), to = places.output(move.store.output);
  if (!("base" in from) || !to.base) return;
  return wholeRow(move.bytes, COPY_BYTES, to.base, from.base);
}

/**
 * For a sized kernel whose one store writes a gathered load's rows (an eager take's, its views
 * at row addresses: row_bases.ts `indexedRows`): each row of at least `GATHER_BYTES` bytes (a
 * run-time size) is one `memory.copy` from the row its position names (read in range: the
 * kernel's `rangeCheck` ran first).
 */
export function gatheredRow(k: LoopKernel, plan: VectorPlan, places: Places): string[] | undefined {
  const move = isSized(k) && !isStrided(k) ? rowMove(k, plan) : undefined;
  if (!move || !k.loads[move.load.load].gather) return;
  const to = places.output(move.store.output).base;
  const at = loadPlace(k, move.load, places, "bulk");
  if (!to || !("addr" in at)) return;
  const row = `${gatheredName(move.load.load)}row`;
  return wholeRow(move.bytes, GATHER_BYTES, to, row, at.statements);
}
