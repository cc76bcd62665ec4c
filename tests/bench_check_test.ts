import { strict as assert } from "node:assert";
import fc from "fast-check";
import { type BenchCase, type Inputs, learningRate } from "../bench/cases.ts";
import {
  checkCase,
  compareOutputs,
  describeComparison,
  float32Tolerance,
  type Outputs,
} from "../bench/check.ts";
import { formatCase } from "../bench/report.ts";

/** Float64 reference values of mixed sign and magnitude (with zeros among them). */
const values = fc.array(
  fc.oneof(fc.double({ min: -10, max: 10, noNaN: true }), fc.constant(0)),
  { minLength: 1, maxLength: 60 },
);

const f32 = (xs: ArrayLike<number>) => Float32Array.from(xs);

Deno.test("bench check: a result equal to the reference up to float32 rounding passes", () => {
  fc.assert(fc.property(values, (want) => {
    const c = compareOutputs(
      { c: { data: f32(want), shape: [want.length] } },
      { c: { data: want, shape: [want.length] } },
    );
    assert.equal(c.ok, true, describeComparison(c));
    assert.equal(c.outside, 0);
    assert.equal(c.total, want.length);
  }));
});

Deno.test("bench check: one perturbed element is reported as a mismatch at that element", () => {
  const evenValues = values.map((v) => (v.length % 2 === 0 ? v : [...v, 0.5]));
  fc.assert(fc.property(
    evenValues.filter((v) => v.some((x) => Math.abs(x) > 1e-3)),
    fc.nat(),
    fc.double({ min: 1e-3, max: 1, noNaN: true }),
    fc.boolean(),
    (want, at, size, up) => {
      const i = at % want.length;
      const cols = want.length / 2;
      const max = Math.max(...want.map(Math.abs));
      const got = f32(want);
      got[i] = want[i] + (up ? 1 : -1) * size * max;
      const c = compareOutputs(
        { loss: { data: [2], shape: [] }, c: { data: got, shape: [2, cols] } },
        { loss: { data: [2], shape: [] }, c: { data: want, shape: [2, cols] } },
      );
      assert.equal(c.ok, false);
      assert.equal(c.outside, 1);
      const w = c.worst!;
      assert.equal(w.array, "c");
      assert.deepEqual(w.index, [Math.floor(i / cols), i % cols]);
      assert.ok(w.diff > w.allowed);
      const text = describeComparison(c);
      assert.match(text, /^MISMATCH: \|diff\| = /);
      assert.ok(text.includes(`at c[${w.index.join(", ")}]`), text);
      assert.match(text, /tolerance .*; 1 of \d+ elements outside/);
    },
  ));
});

Deno.test("bench check: NaN, a missing array and a wrong shape are mismatches", () => {
  const want: Outputs = { c: { data: [1, 2, 3, 4], shape: [2, 2] } };
  const nan = compareOutputs({ c: { data: [1, NaN, 3, 4], shape: [2, 2] } }, want);
  assert.equal(nan.ok, false);
  assert.deepEqual(nan.worst!.index, [0, 1]);
  assert.equal(nan.ratio, Infinity);
  const missing = compareOutputs({}, want);
  assert.equal(missing.ok, false);
  assert.match(describeComparison(missing), /MISMATCH: c: expected shape \[2,2\], got nothing/);
  const transposedShape = compareOutputs({ c: { data: [1, 2, 3, 4], shape: [4] } }, want);
  assert.equal(transposedShape.ok, false);
  assert.match(transposedShape.problem!, /got shape \[4\]/);
});

Deno.test("bench check: an element near zero is judged on its array's scale", () => {
  const want: Outputs = { c: { data: [100, 1e-9], shape: [2] } };
  const ok = compareOutputs({ c: { data: [100, 1e-4], shape: [2] } }, want);
  assert.equal(ok.ok, true, describeComparison(ok));
  const wrong = compareOutputs({ c: { data: [100, 1e-2], shape: [2] } }, want);
  assert.equal(wrong.ok, false);
});

/** A training case whose parameter `w` had gradient `g`: inputs, reference, and p1 from `gUsed`. */
function trainingStep(p0: number[], g: number[], gUsed: number[]) {
  const c: BenchCase = { kind: "mlp", batch: 1 };
  const inputs: Inputs = {
    x: { data: f32([0]), shape: [1] },
    y: { data: f32([0]), shape: [1] },
    w: { data: f32(p0), shape: [p0.length] },
  };
  const reference: Outputs = {
    loss: { data: [1.5], shape: [] },
    "grad w": { data: g, shape: [g.length] },
  };
  const p1 = f32(p0.map((p, i) => Math.fround(p) - Math.fround(learningRate) * gUsed[i]));
  const got: Outputs = {
    loss: { data: f32([1.5]), shape: [] },
    w: { data: p1, shape: [p1.length] },
  };
  return { c, inputs, reference, got };
}

const params = fc.array(fc.double({ min: -0.5, max: 0.5, noNaN: true }), {
  minLength: 2,
  maxLength: 40,
});

Deno.test("bench check: a training step is judged by the gradients its update implies", () => {
  fc.assert(fc.property(
    params,
    fc.array(fc.double({ min: -0.05, max: 0.05, noNaN: true }), { minLength: 40, maxLength: 40 }),
    (p0, gAll) => {
      const g = gAll.slice(0, p0.length);
      if (g.every((x) => Math.abs(x) < 1e-4)) g[0] = 0.01;
      const { c, inputs, reference, got } = trainingStep(p0, g, g);
      const check = checkCase(c, inputs, got, reference);
      assert.equal(check.ok, true, describeComparison(check));
    },
  ));
});

Deno.test("bench check: a wrong gradient element is a mismatch even after the update", () => {
  fc.assert(fc.property(
    params,
    fc.nat(),
    fc.double({ min: 0.01, max: 1, noNaN: true }),
    (p0, at, size) => {
      const g = p0.map((_, i) => 0.01 * Math.sin(i + 1));
      const i = at % g.length;
      const wrong = g.map((v, j) => (j === i ? v + size * 0.01 : v));
      const { c, inputs, reference, got } = trainingStep(p0, g, wrong);
      const check = checkCase(c, inputs, got, reference);
      assert.equal(check.ok, false);
      assert.equal(check.worst!.array, "grad w");
      assert.deepEqual(check.worst!.index, [i]);
    },
  ));
});

Deno.test("bench report: a row whose check failed shows MISMATCH and no time", () => {
  const bad = compareOutputs(
    { c: { data: [1, 5], shape: [2] } },
    { c: { data: [1, 2], shape: [2] } },
    float32Tolerance,
  );
  const good = compareOutputs(
    { c: { data: [1, 2], shape: [2] } },
    { c: { data: [1, 2], shape: [2] } },
  );
  const stats = { median: 2, q1: 1.9, q3: 2.1, min: 1.8, samples: 5, reps: 3 };
  const table = formatCase({
    case: { kind: "gemm", n: 2 },
    cells: [
      { id: "a", name: "Good", detail: "wasm", stats, firstMs: 5, check: good },
      { id: "b", name: "Bad", detail: "wasm", firstMs: 7, check: bad },
    ],
    baseline: 0,
  });
  const badRow = table.split("\n").find((l) => l.includes("Bad"))!;
  assert.match(badRow, /MISMATCH +MISMATCH: \|diff\| = 3\.00 at c\[1\]/);
  assert.doesNotMatch(badRow, /\d (ms|us|s)\b/);
  const goodRow = table.split("\n").find((l) => l.includes("Good"))!;
  assert.match(goodRow, /2\.00 ms.*ok \(worst 0\.000 of tolerance\)/);
});
