/**
 * softmaxCrossEntropy and nll with class weights, ignoreIndex, labelSmoothing and any class
 * axis, against PyTorch's CrossEntropyLoss formulas computed on the host in float64.
 */
import assert from "node:assert/strict";
import { type Array, grad, jit, nn, numpy as np } from "../mod.ts";
import { assertClose } from "./util/assert_close.ts";
import { f64, hostData, numericJvp } from "./util/finite_diff.ts";

const TIGHT = { rtol: 1e-12, atol: 1e-12 };
const Z = [[1, -0.5, 2], [0.3, 0.2, -1], [-2, 1.5, 0.5], [0, 0, 0]];
const L = [2, 0, 1, 1];
const W = [0.5, 2, 1.5];
const C = 3;

function logSoftmaxRow(z: number[]): number[] {
  const m = Math.max(...z);
  const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
  return z.map((v) => v - lse);
}

/** PyTorch's cross-entropy per example and its mean, for integer labels. */
function torchCE(
  z: number[][],
  labels: number[],
  { weights = [1, 1, 1], ignore = -100, eps = 0 } = {},
): { perExample: number[]; mean: number } {
  let num = 0, den = 0;
  const perExample = z.map((row, i) => {
    if (labels[i] === ignore) return 0;
    const lp = logSoftmaxRow(row);
    const nllPart = -weights[labels[i]] * lp[labels[i]];
    const smooth = -lp.reduce((s, v, c) => s + weights[c] * v, 0) / C;
    const l = (1 - eps) * nllPart + eps * smooth;
    num += l;
    den += weights[labels[i]];
    return l;
  });
  return { perExample, mean: num / den };
}

const logits = np.array(Z, "float64");
const labels = np.array(L, "int32");
const weights = np.array(W, "float64");

Deno.test("class weights: weighted terms, mean divided by the labels' total weight", () => {
  const ref = torchCE(Z, L, { weights: W });
  assertClose(
    nn.softmaxCrossEntropy(logits, labels, { weights, reduction: "none" }),
    ref.perExample,
    TIGHT,
  );
  assertClose(nn.softmaxCrossEntropy(logits, labels, { weights }), ref.mean, TIGHT);
  const sum = ref.perExample.reduce((a, b) => a + b, 0);
  assertClose(nn.softmaxCrossEntropy(logits, labels, { weights, reduction: "sum" }), sum, TIGHT);
});

Deno.test("ignoreIndex drops examples from the loss and from the mean", () => {
  const padded = np.array([2, -100, 1, 1], "int32");
  const ref = torchCE(Z, [2, -100, 1, 1]);
  assertClose(nn.softmaxCrossEntropy(logits, padded, { ignoreIndex: -100 }), ref.mean, TIGHT);
  assertClose(
    nn.softmaxCrossEntropy(logits, padded, { ignoreIndex: -100, reduction: "none" }),
    ref.perExample,
    TIGHT,
  );
  // An ignored class inside the range (a padding token 1), with weights.
  const refW = torchCE(Z, L, { weights: W, ignore: 1 });
  assertClose(
    nn.softmaxCrossEntropy(logits, labels, { ignoreIndex: 1, weights }),
    refW.mean,
    TIGHT,
  );
  // Under jit the labels are traced, and the mask still applies.
  const f = jit((z: Array, y: Array) => nn.softmaxCrossEntropy(z, y, { ignoreIndex: -100 }));
  assertClose(f(logits, padded), ref.mean, TIGHT);
});

Deno.test("labelSmoothing mixes the target with the uniform distribution", () => {
  for (const eps of [0.1, 0.5, 1]) {
    const ref = torchCE(Z, L, { eps });
    assertClose(nn.softmaxCrossEntropy(logits, labels, { labelSmoothing: eps }), ref.mean, TIGHT);
    const refW = torchCE(Z, [2, -100, 1, 1], { eps, weights: W });
    const got = nn.softmaxCrossEntropy(logits, np.array([2, -100, 1, 1], "int32"), {
      labelSmoothing: eps,
      weights,
      ignoreIndex: -100,
    });
    assertClose(got, refW.mean, TIGHT);
  }
  // Smoothing one-hot targets by hand gives the same loss.
  const eps = 0.2;
  const smoothTargets = np.oneHot(labels, C, "float64").mul(1 - eps).add(eps / C);
  assertClose(
    nn.softmaxCrossEntropy(logits, np.oneHot(labels, C, "float64"), { labelSmoothing: eps }),
    nn.softmaxCrossEntropy(logits, smoothTargets),
    TIGHT,
  );
});

Deno.test("nll over any class axis equals cross-entropy of the log-softmax", () => {
  // Classes on axis 1 of [N, C, T] scores, labels [N, T] (PyTorch's K-dimensional case).
  const z3 = np.transpose(np.reshape(np.array(Z, "float64"), [2, 2, 3]), [0, 2, 1]);
  const y2 = np.array([[2, 0], [1, 1]], "int32");
  const lp = nn.logSoftmax(z3, 1);
  const ref = torchCE(Z, L, { weights: W });
  assertClose(nn.nll(lp, y2, { axis: 1, weights }), ref.mean, TIGHT);
  assertClose(nn.softmaxCrossEntropy(z3, y2, { axis: 1, weights }), ref.mean, TIGHT);
  assertClose(
    nn.nll(lp, y2, { axis: 1, reduction: "none" }),
    np.reshape(np.array(torchCE(Z, L).perExample, "float64"), [2, 2]),
    TIGHT,
  );
});

Deno.test("the weighted, smoothed, masked loss has the finite-difference gradient", () => {
  const opts = { weights, ignoreIndex: 0, labelSmoothing: 0.1 };
  const f = (z: Array) => nn.softmaxCrossEntropy(z, labels, opts);
  const g = grad(f)(logits);
  const dir = f64(hostData(logits).map((_, i) => Math.sin(i + 1)), [4, 3]);
  const fd = numericJvp(f, [logits], [dir]) as Array;
  assertClose(np.sum(g.mul(dir)), fd, { rtol: 1e-8, atol: 1e-9 });
});

Deno.test("class-loss options are checked", () => {
  assert.throws(
    () => nn.softmaxCrossEntropy(logits, labels, { weights: np.ones([2], "float64") }),
    /weights must be a float array of shape \[3\]/,
  );
  assert.throws(
    () => nn.softmaxCrossEntropy(logits, np.oneHot(labels, C, "float64"), { ignoreIndex: 0 }),
    /ignoreIndex needs integer class labels/,
  );
  assert.throws(
    () => nn.softmaxCrossEntropy(logits, labels, { labelSmoothing: 1.5 }),
    /labelSmoothing must lie in \[0, 1\]/,
  );
  // -100 is out of range unless it is the ignored label.
  assert.throws(() => nn.nll(logits, np.array([2, -100, 1, 1], "int32")), /out of range/);
});
