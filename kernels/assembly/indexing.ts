/**
 * The gather that stays hand-written: `take` of long rows, each moved by one `memory.copy`,
 * which V8 runs as a native memmove. The kernels rendered from the kernel IR
 * (kernels/assembly/take_scatter.ts) move rows with v128 loops, which were slower from 128-byte
 * rows on: 1.10-1.13x at 128 bytes, 1.13-1.23x at 256, 1.31x at 512 (bench/builds.ts, eager,
 * [10000, r] by 4096 positions, 41 rounds; a bare v128 loop 2-2.5x slower than memory.copy
 * in isolation), where at 64 bytes the rendered kernel was 0.9x. The array is viewed as
 * `[outer, n, row bytes]` and `idx` holds `m` i32 positions into its middle axis.
 */

/**
 * `out[o, j, :] = x[o, idx[j], :]` for rows of `row` bytes; returns -1, or the position in
 * `idx` of the first index outside `[0, n)` (then nothing is written).
 */
export function take_rows(x: usize, idx: usize, out: usize, outer: i32, n: i32, m: i32, row: i32): i32 {
  for (let j = 0; j < m; j++) {
    if (<u32>load<i32>(idx + (<usize>j << 2)) >= <u32>n) return j;
  }
  const bytes = <usize>row;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const i = load<i32>(idx + (<usize>j << 2));
      memory.copy(out + <usize>(o * m + j) * bytes, x + <usize>(o * n + i) * bytes, bytes);
    }
  }
  return -1;
}
