/**
 * Bad input is refused, not silently misread: each public call given a value of the wrong kind
 * throws an AdjointError naming the call, what it was given and what it expects, or (where the
 * input has a sensible meaning, as JAX gives it) returns the right result.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { describeValue } from "../core/describe.ts";
import { AdjointError, numpy as np } from "../mod.ts";
import { runs } from "./util/arbitraries.ts";

/** Asserts that `fn` throws an AdjointError whose message matches every pattern. */
function refuses(fn: () => unknown, ...patterns: RegExp[]): AdjointError {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  assert.ok(error !== undefined, "expected an error, none was thrown");
  assert.ok(error instanceof AdjointError, `expected an AdjointError, got ${error}`);
  for (const p of patterns) assert.match(error.message, p);
  return error;
}

const x23 = np.array([[1, 2, 3], [4, 5, 6]]);

Deno.test("np.index refuses integer-array and boolean-mask indices, pointing to take and where", () => {
  const advanced: [unknown, RegExp][] = [
    [[0, 1], /\[0, 1\] \(a JS list\)/],
    [np.array([0, 1], "int32"), /an array i32\[2\]/],
    [np.array([true, false], "bool"), /an array bool\[2\]/],
    [true, /is true/],
  ];
  for (const [entry, given] of advanced) {
    refuses(
      () => np.index(x23, entry as np.Index),
      /^np\.index:/,
      given,
      /basic indexing only/,
      /np\.take\(x, indices, axis\)/,
      /np\.where\(mask, x, y\)/,
    );
  }
});

Deno.test("np.index refuses floats, strings, undefined, odd slices and out-of-range integers", () => {
  const cases: [unknown[], RegExp, RegExp][] = [
    [[0.5], /entry 0 is 0\.5/, /expected an integer, a slice/],
    [[0, "a"], /entry 1 is "a" \(a string\)/, /"\.\.\."/],
    [[undefined], /entry 0 is undefined/, /a whole axis is np\.s\(\)/],
    [[np.s(0.5, 2)], /slice start must be an integer/, /got 0\.5/],
    [[{ start: "1" }], /slice start must be an integer/, /"1" \(a string\)/],
    [[{ begin: 1 }], /\{begin: 1\}/, /only start, stop and step/],
    [[2], /index 2 is out of bounds for axis 0 of size 2/, /\[-2, 1\]/],
    [[0, -4], /index -4 is out of bounds for axis 1 of size 3/, /\[-3, 2\]/],
    [["...", 0, "..."], /at most one "\.\.\."/, /got 2/],
    [[0, 0, 0], /too many indices \(3\)/, /at most 2/],
  ];
  for (const [idx, given, expected] of cases) {
    refuses(() => np.index(x23, ...(idx as np.Index[])), /^np\.index:/, given, expected);
  }
  assert.deepEqual(np.index(x23, -1, np.s(null as never, 2)).toArray(), [4, 5]);
});

Deno.test("np.take refuses fractional and non-integer-array indices instead of truncating them", () => {
  const x = np.array([10, 20, 30]);
  refuses(
    () => np.take(x, [1.5]),
    /^np\.take:/,
    /indices must be integers/,
    /\[1\.5\] \(a JS list\)/,
  );
  refuses(() => np.take(x, new Float32Array([0.5])), /Float32Array \[0\.5\]/);
  refuses(
    () => np.take(x, np.array([0, 1])),
    /^np\.take:/,
    /indices must be an integer array, got f32\[2\]/,
    /np\.astype\(indices, "int32"\)/,
  );
  refuses(() => np.take(x, np.array([true, false], "bool")), /bool\[2\]/, /np\.where/);
  assert.deepEqual(np.take(x, [2, 0]).toArray(), [30, 10]);
  assert.deepEqual(np.take(x, new Float32Array([1])).toArray(), [20]);
});

Deno.test("describeValue shows any value in a short text that says its kind", () => {
  fc.assert(
    fc.property(fc.anything(), (v) => {
      const text = describeValue(v);
      assert.ok(text.length <= 80, text);
      if (typeof v === "string") assert.match(text, /\(a string\)$/);
      if (globalThis.Array.isArray(v)) assert.match(text, /\(a JS list\)$/);
    }),
    runs(200),
  );
  assert.equal(describeValue(np.zeros([2], "int32")), "an array i32[2]");
  assert.equal(describeValue(new globalThis.Array(1000).fill(1)).length <= 80, true);
});
