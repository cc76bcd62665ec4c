/**
 * Numeric assertions shared by the tests.
 * @module
 */
import assert from "node:assert/strict";
import type { Array, NestedNumbers } from "../../numpy.ts";

function flat(x: NestedNumbers): number[] {
  return globalThis.Array.isArray(x) ? x.flatMap(flat) : [Number(x)];
}

/** Asserts that two arrays (or nested numbers) agree elementwise within `atol + rtol * |b|`. */
export function assertClose(
  a: Array | NestedNumbers,
  b: Array | NestedNumbers,
  { rtol = 1e-6, atol = 1e-6 }: { rtol?: number; atol?: number } = {},
  message = "",
): void {
  const av = typeof a === "object" && a !== null && "aval" in a ? (a as Array) : null;
  const bv = typeof b === "object" && b !== null && "aval" in b ? (b as Array) : null;
  if (av && bv) assert.deepEqual(av.shape, bv.shape, `${message} shapes differ`);
  const xa = flat(av ? av.toArray() : a as NestedNumbers);
  const xb = flat(bv ? bv.toArray() : b as NestedNumbers);
  assert.equal(xa.length, xb.length, `${message} sizes differ: ${xa.length} vs ${xb.length}`);
  xa.forEach((v, i) => {
    const ok = Math.abs(v - xb[i]) <= atol + rtol * Math.abs(xb[i]) ||
      (Number.isNaN(v) && Number.isNaN(xb[i]));
    assert.ok(ok, `${message} element ${i}: ${v} vs ${xb[i]} (rtol ${rtol}, atol ${atol})`);
  });
}
