/**
 * Reductions take NumPy's keywords as an options object beside the positional form
 * (`np.sum(x, { axis: -1, keepdims: true })` is `np.sum(x, -1, true)`), `axis: null` means all
 * axes (the flattened array for argmax and argmin), and a misspelt or misplaced argument is an
 * error rather than a default silently used.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Array, nn, numpy as np } from "../mod.ts";
import { arrayOf, axesSubset, runs, shapes } from "./util/arbitraries.ts";

type Positional = (x: Array, axis?: any, keepdims?: boolean) => Array;
type WithOptions = (x: Array, options: Record<string, unknown>) => Array;

/** Each reduction over axes, by name, called both ways. */
const REDUCERS: [string, Positional, WithOptions][] = [
  ["sum", np.sum, np.sum as WithOptions],
  ["prod", np.prod, np.prod as WithOptions],
  ["max", np.max, np.max as WithOptions],
  ["min", np.min, np.min as WithOptions],
  ["mean", np.mean, np.mean as WithOptions],
  ["var", np.var, np.var as WithOptions],
  ["std", np.std, np.std as WithOptions],
  ["logsumexp", np.logsumexp, np.logsumexp as WithOptions],
  ["any", (x, a, k) => np.any(np.greater(x, 0), a, k), (x, o) => np.any(np.greater(x, 0), o)],
  ["all", (x, a, k) => np.all(np.greater(x, 0), a, k), (x, o) => np.all(np.greater(x, 0), o)],
  ["x.sum", (x, a, k) => x.sum(a, k), (x, o) => x.sum(o)],
  ["x.max", (x, a, k) => x.max(a, k), (x, o) => x.max(o)],
];

/** An array of rank 1..3 with a subset of its axes and a keepdims flag. */
const reductionCase = shapes({ minRank: 1 }).chain((shape) =>
  fc.tuple(arrayOf(shape), axesSubset(shape.length), fc.boolean())
);

/** Values and shape of `x`, for exact comparison. */
const contents = (x: Array) => ({ shape: x.shape, dtype: x.dtype, values: x.toArray() });

Deno.test("each reduction gives the same result positionally and from an options object", () => {
  fc.assert(
    fc.property(reductionCase, ([x, axes, keepdims]) => {
      for (const [name, positional, withOptions] of REDUCERS) {
        // A single axis as a number, several as a list (negative axes count from the end).
        const axis = axes.length === 1 ? axes[0] - x.ndim : axes;
        assert.deepEqual(
          contents(withOptions(x, { axis, keepdims })),
          contents(positional(x, axis, keepdims)),
          `${name} over ${JSON.stringify(axis)}, keepdims ${keepdims}`,
        );
      }
    }),
    runs(40),
  );
});

Deno.test("axis null, an empty options object and no axis all reduce over every axis", () => {
  fc.assert(
    fc.property(shapes({ minRank: 1 }).chain((s) => arrayOf(s)), (x) => {
      for (const [name, positional, withOptions] of REDUCERS) {
        const all = contents(positional(x));
        assert.deepEqual(contents(positional(x, null)), all, `${name}(x, null)`);
        assert.deepEqual(contents(withOptions(x, { axis: null })), all, `${name} axis: null`);
        assert.deepEqual(contents(withOptions(x, {})), all, `${name}(x, {})`);
        const kept = withOptions(x, { axis: null, keepdims: true });
        assert.deepEqual(kept.shape, x.shape.map(() => 1), `${name} keeps every axis`);
      }
    }),
    runs(20),
  );
});

Deno.test("var and std take ddof in the options object as their fourth argument", () => {
  const x = np.array([[1, 2, 3, 4], [2, 4, 6, 9]], "float64");
  for (const f of [np.var, np.std]) {
    assert.deepEqual(f(x, { axis: 1, ddof: 1 }).toArray(), f(x, 1, false, 1).toArray());
    assert.deepEqual(
      f(x, { axis: null, keepdims: true, ddof: 1 }).toArray(),
      f(x, null, true, 1).toArray(),
    );
  }
  // Sample variance of [1, 2, 3, 4]: sum of squared deviations 5, over n - 1 = 3.
  assert.ok(Math.abs(np.var(x, { axis: 1, ddof: 1 }).toArray()[0 as never] - 5 / 3) < 1e-12);
});

Deno.test("argmax and argmin take { axis, keepdims }; axis null searches the flattened array", () => {
  const x = np.array([[1, 9, 3], [7, 0, 8]], "float32");
  for (const [name, f] of [["argmax", np.argmax], ["argmin", np.argmin]] as const) {
    for (const axis of [0, 1, -1]) {
      for (const keepdims of [false, true]) {
        assert.deepEqual(
          contents(f(x, { axis, keepdims })),
          contents(f(x, axis, keepdims)),
          `${name} axis ${axis} keepdims ${keepdims}`,
        );
      }
    }
    const flat = contents(f(x));
    assert.deepEqual(contents(f(x, null)), flat);
    assert.deepEqual(contents(f(x, { axis: null })), flat);
    assert.deepEqual(flat.shape, []);
    // NumPy: argmax(x, axis=None, keepdims=True) keeps every axis with size 1.
    assert.deepEqual(f(x, { keepdims: true }).shape, [1, 1]);
    assert.deepEqual(f(x, { keepdims: true }).toArray(), [[flat.values as number]]);
  }
  assert.deepEqual(np.argmax(x).toArray(), 1);
  assert.deepEqual(np.argmin(x, { axis: 1 }).toArray(), [0, 1]);
  assert.deepEqual(x.argmax({ axis: 0, keepdims: true }).toArray(), [[1, 0, 1]]);
});

Deno.test("softmax and logSoftmax take { axis }, default -1, and null for all axes", () => {
  const x = np.array([[0.5, -1, 2], [3, 0, 1]], "float64");
  for (const f of [nn.softmax, nn.logSoftmax]) {
    assert.deepEqual(f(x, {}).toArray(), f(x).toArray());
    assert.deepEqual(f(x, { axis: 0 }).toArray(), f(x, 0).toArray());
    assert.deepEqual(f(x, { axis: null }).toArray(), f(x, null).toArray());
    assert.deepEqual(f(x, { axis: [0, 1] }).toArray(), f(x, null).toArray());
  }
  const total = np.sum(nn.softmax(x, { axis: null })).item();
  assert.ok(Math.abs(total - 1) < 1e-12, `softmax over all axes sums to ${total}`);
  assert.ok(
    np.all(np.less(np.abs(np.sum(nn.softmax(x, { axis: 0 }), 0).sub(1)), 1e-12)).item(),
    "each column sums to 1",
  );
});

Deno.test("a misspelt key, a misplaced argument or a bad axis is an error naming the reduction", () => {
  const x = np.array([[1, 2], [3, 4]], "float32");
  const cases: [() => unknown, RegExp][] = [
    [() => np.sum(x, { axes: 0 } as never), /^AdjointError: np\.sum: unknown option "axes"/],
    [
      () => np.mean(x, { axis: 0, keepDims: true } as never),
      /^AdjointError: np\.mean: unknown option "keepDims"/,
    ],
    [() => np.var(x, { axis: 0, dof: 1 } as never), /^AdjointError: np\.var: unknown option "dof"/],
    [
      () => np.argmax(x, { axis: 0, ddof: 1 } as never),
      /^AdjointError: np\.argmax: unknown option "ddof"/,
    ],
    [
      () => nn.softmax(x, { axis: 0, keepdims: true } as never),
      /^AdjointError: nn\.softmax: unknown option/,
    ],
    [
      () => np.sum(x, { axis: 0 }, true),
      /^AdjointError: np\.sum: got an options object and then true/,
    ],
    [
      () => np.std(x, { axis: 0 }, undefined, 1),
      /^AdjointError: np\.std: got an options object and then 1/,
    ],
    [
      () => np.max(x, { axis: 0.5 }),
      /^AdjointError: np\.max: axis is 0\.5; expected an integer, a list/,
    ],
    [() => np.sum(x, "0" as never), /^AdjointError: np\.sum: axis is "0" \(a string\)/],
    [
      () => np.min(x, 0, 1 as never),
      /^AdjointError: np\.min: keepdims is 1; expected true or false/,
    ],
    [
      () => np.argmin(x, { axis: [0, 1] } as never),
      /^AdjointError: np\.argmin: axis is .*expected an integer or null/,
    ],
    [
      () => np.var(x, { ddof: "1" } as never),
      /^AdjointError: np\.var: ddof is "1" \(a string\); expected a finite/,
    ],
    [() => np.sum(x, { axis: 2 }), /^AdjointError: np\.sum: axis 2 is out of bounds/],
  ];
  for (const [call, message] of cases) assert.throws(call, message);
});
