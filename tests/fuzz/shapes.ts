/**
 * Shape arithmetic the generator needs to keep nodes well typed: NumPy broadcasting, reductions,
 * Python slices, factorisations for reshapes.
 * @module
 */

/** The broadcast of `shapes`, or null when they do not broadcast. */
export function broadcast(...shapes: (readonly number[])[]): number[] | null {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const k = s[s.length - rank + i] ?? 1;
      if (k === 1) continue;
      if (d !== 1 && d !== k) return null;
      d = k;
    }
    out.push(d);
  }
  return out;
}

/** Whether `from` broadcasts to exactly `to`. */
export function broadcastsTo(from: readonly number[], to: readonly number[]): boolean {
  const b = broadcast(from, to);
  return b !== null && b.length === to.length && b.every((d, i) => d === to[i]);
}

/** `axis` in `[0, rank)` from a possibly negative axis. */
export function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** The shape after reducing `axes` (all when undefined), with or without keeping them as 1. */
export function reducedShape(
  shape: readonly number[],
  axes: readonly number[] | undefined,
  keepdims: boolean,
): number[] {
  const set = new Set((axes ?? shape.map((_, i) => i)).map((a) => normAxis(a, shape.length)));
  return shape.flatMap((d, i) => (set.has(i) ? (keepdims ? [1] : []) : [d]));
}

/** Elements reduced per output. */
export function reducedCount(shape: readonly number[], axes: readonly number[] | undefined) {
  const set = new Set((axes ?? shape.map((_, i) => i)).map((a) => normAxis(a, shape.length)));
  return shape.reduce((n, d, i) => (set.has(i) ? n * d : n), 1);
}

/** Length of Python's `range(n)[start:stop:step]`. */
export function sliceLength(
  n: number,
  start: number | undefined,
  stop: number | undefined,
  step: number,
): number {
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  if (step > 0) {
    const b = start === undefined ? 0 : clamp(start < 0 ? start + n : start, 0, n);
    const e = stop === undefined ? n : clamp(stop < 0 ? stop + n : stop, 0, n);
    return Math.max(0, Math.ceil((e - b) / step));
  }
  const b = start === undefined ? n - 1 : clamp(start < 0 ? start + n : start, -1, n - 1);
  const e = stop === undefined ? -1 : clamp(stop < 0 ? stop + n : stop, -1, n - 1);
  return Math.max(0, Math.ceil((b - e) / -step));
}

/** Prime factors of `n`, smallest first. */
export function factors(n: number): number[] {
  const out: number[] = [];
  for (let p = 2; n > 1; p++) {
    while (n % p === 0) {
      out.push(p);
      n /= p;
    }
  }
  return out;
}
