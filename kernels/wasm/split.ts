/**
 * Splitting kernel work over threads: a range `0..n` of independent rows or elements is cut into
 * one contiguous part per thread, when there is enough work to repay a launch (4-6 us here with
 * threads polling between kernels, bench/thread_launch.ts).
 * @module
 */

/** Elements of work below which a kernel runs on the calling thread alone. */
export const PARALLEL_MIN = 1 << 14;

/**
 * Ranges `[lo, hi)` covering `0..n` for up to `threads` tasks, each starting at a multiple of
 * `align`, or `[[0, n]]` when `work` is under `min` (by default `PARALLEL_MIN` elements touched)
 * or there is one thread or one item.
 */
export function splitRange(
  n: number,
  work: number,
  threads: number,
  align = 1,
  min = PARALLEL_MIN,
): [number, number][] {
  const parts = Math.min(threads, Math.ceil(n / align));
  if (parts <= 1 || work < min) return [[0, n]];
  const step = Math.ceil(n / parts / align) * align;
  const ranges: [number, number][] = [];
  for (let lo = 0; lo < n; lo += step) ranges.push([lo, Math.min(n, lo + step)]);
  return ranges;
}
