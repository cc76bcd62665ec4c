import assert from "node:assert/strict";
import { type Array, grad, jit, nn, numpy as np, random, tree } from "../mod.ts";
import { convnet } from "../examples/mnist_convnet.ts";
import { assertClose } from "./util/assert_close.ts";

const f64 = (xs: Parameters<typeof np.array>[0]) => np.array(xs, "float64");
const flat = (x: Array) => (x.toArray() as number[]).flat(Infinity as 1) as number[];

Deno.test("activations match their formulas", async (t) => {
  const xs = [-3, -0.5, 0, 0.7, 4];
  const x = f64(xs);
  const cases: [string, (x: Array) => Array, (v: number) => number][] = [
    ["sigmoid", nn.sigmoid, (v) => 1 / (1 + Math.exp(-v))],
    ["tanh", nn.tanh, Math.tanh],
    ["gaussian", nn.gaussian, (v) => Math.exp(-v * v)],
    ["relu", nn.relu, (v) => (v > 0 ? v : 0)],
    ["leakyRelu", nn.leakyRelu, (v) => (v >= 0 ? v : 0.01 * v)],
    ["softplus", nn.softplus, (v) => Math.log(1 + Math.exp(v))],
    [
      "gelu (tanh approximation)",
      nn.gelu,
      (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
    ],
  ];
  for (const [name, fn, expected] of cases) {
    await t.step(name, () => assertClose(fn(x), xs.map(expected), { rtol: 1e-12, atol: 1e-15 }));
  }
  await t.step("exact gelu is x Phi(x), close to the approximation", () => {
    assertClose(nn.gelu(x, false), nn.gelu(x), { rtol: 1e-3, atol: 1e-3 });
    assertClose(nn.gelu(f64([1]), false), [0.8413447460685429], { rtol: 1e-12 });
  });
  await t.step("softmax and logSoftmax are stable for huge logits", () => {
    const z = f64([[1000, 1001, 1002], [-1000, 0, 1000]]);
    const e = [Math.exp(-2), Math.exp(-1), 1];
    const s = e.reduce((a, b) => a + b);
    assertClose(np.index(nn.softmax(z), 0), e.map((v) => v / s), { rtol: 1e-12 });
    assertClose(np.sum(nn.softmax(z), 1), [1, 1], { rtol: 1e-12 });
    assertClose(np.index(nn.logSoftmax(z), 1), [-2000, -1000, 0], { rtol: 1e-12 });
    assertClose(nn.softmax(np.transpose(z), 0), np.transpose(nn.softmax(z)), { rtol: 1e-12 });
    assertClose(nn.softplus(f64([800, -800])), [800, 0], { rtol: 1e-12 });
  });
});

Deno.test("initializers have the right shapes, scales and fans", async (t) => {
  const k = random.key(0);
  const std = (x: Array) => Math.sqrt(np.variance(x).item());
  await t.step("fans of dense and conv kernels", () => {
    assert.deepEqual(nn.initializers.fans([20, 30]), [20, 30]);
    assert.deepEqual(nn.initializers.fans([10, 3, 5, 5], { inAxis: 1, outAxis: 0 }), [75, 250]);
    assert.deepEqual(nn.initializers.fans([7]), [7, 7]);
  });
  await t.step("variance scaling: glorot, he, lecun, PyTorch's default", () => {
    const shape = [100, 150];
    const cases: [nn.Initializer, number][] = [
      [nn.initializers.glorotUniform(), Math.sqrt(2 / 250)],
      [nn.initializers.xavierNormal(), Math.sqrt(2 / 250)],
      [nn.initializers.heNormal(), Math.sqrt(2 / 100)],
      [nn.initializers.kaimingUniform(), Math.sqrt(2 / 100)],
      [nn.initializers.lecunNormal(), Math.sqrt(1 / 100)],
      [nn.initializers.lecunUniform(), Math.sqrt(1 / 100)],
      [nn.initializers.torchDefault(), Math.sqrt(1 / 300)],
      [nn.initializers.smallRandom(), 0.01],
    ];
    for (const [init, expected] of cases) {
      const w = init(k, shape);
      assert.deepEqual(w.shape, shape);
      assert.ok(Math.abs(std(w) / expected - 1) < 0.03, `std ${std(w)} vs ${expected}`);
    }
    const bound = 1 / Math.sqrt(100);
    const torch = nn.initializers.torchDefault()(k, shape);
    assert.ok(np.max(np.abs(torch)).item() <= bound);
  });
  await t.step("constants, dtype and determinism", () => {
    assert.deepEqual(nn.initializers.zeros()(k, [2]).toArray(), [0, 0]);
    assert.deepEqual(nn.initializers.ones()(k, [2]).toArray(), [1, 1]);
    assert.deepEqual(nn.initializers.constant(3)(k, [1]).toArray(), [3]);
    const w = nn.initializers.heNormal()(k, [4, 4], { dtype: "float64" });
    assert.equal(w.dtype, "float64");
    assert.deepEqual(
      w.toArray(),
      nn.initializers.heNormal()(k, [4, 4], { dtype: "float64" }).toArray(),
    );
    assert.throws(() => nn.initializers.varianceScaling(0, "fanIn", "normal"), /scale > 0/);
  });
});

Deno.test("layers: dense, conv2d, pooling, flatten", async (t) => {
  const k = random.key(1);
  await t.step("dense computes x W + b", () => {
    const layer = nn.dense(3, { dtype: "float64" });
    const [shape, p] = layer.init(k, [-1, 2]);
    assert.deepEqual(shape, [-1, 3]);
    assert.deepEqual([p.w.shape, p.b.shape], [[2, 3], [3]]);
    const x = f64([[1, 2], [-1, 0.5]]);
    const w = p.w.toArray() as number[][], b = p.b.toArray() as number[];
    const expected = (x.toArray() as number[][]).map((row) =>
      b.map((bj, j) => bj + row[0] * w[0][j] + row[1] * w[1][j])
    );
    assertClose(layer.apply(p, x), expected, { rtol: 1e-12 });
    assert.ok(np.max(np.abs(p.b)).item() <= 1 / Math.sqrt(2));
  });
  await t.step("conv2d is a cross-correlation with bias (NCHW, OIHW)", () => {
    const layer = nn.conv2d(2, 2, { padding: 1, stride: [1, 2], dtype: "float64" });
    const [shape, p] = layer.init(k, [1, 1, 3, 3]);
    assert.deepEqual(shape, [1, 2, 4, 2]);
    assert.deepEqual(p.w.shape, [2, 1, 2, 2]);
    const xs = [[1, 2, 3], [4, 5, 6], [7, 8, 9]];
    const y = layer.apply(p, f64([[xs]]));
    assert.deepEqual(y.shape, shape);
    const w = p.w.toArray() as number[][][][], b = p.b.toArray() as number[];
    const at = (
      i: number,
      j: number,
    ) => (i >= 1 && i <= 3 && j >= 1 && j <= 3 ? xs[i - 1][j - 1] : 0);
    const expected = [0, 1].map((o) =>
      [0, 1, 2, 3].map((i) =>
        [0, 1].map((j) => {
          let s = b[o];
          for (let di = 0; di < 2; di++) {
            for (let dj = 0; dj < 2; dj++) s += w[o][0][di][dj] * at(i + di, 2 * j + dj);
          }
          return s;
        })
      )
    );
    assertClose(y, [expected], { rtol: 1e-12 });
  });
  await t.step("the lecture's Conv2d(1, 10, k=5) on 28x28 images", () => {
    const [shape, p] = nn.conv2d(10, 5).init(k, [-1, 1, 28, 28]);
    assert.deepEqual(shape, [-1, 10, 24, 24]);
    assert.ok(np.max(np.abs(p.w)).item() <= 1 / 5);
    assert.throws(() => nn.conv2d(10, 5).init(k, [1, 28, 28]), /rank-4 input/);
  });
  await t.step("max and average pooling", () => {
    const x = np.reshape(np.arange(16, undefined, undefined, "float32"), [1, 1, 4, 4]);
    const max = nn.maxPool2d(2);
    assert.deepEqual(max.init(k, [-1, 1, 4, 4])[0], [-1, 1, 2, 2]);
    assert.deepEqual(max.apply(null, x).toArray(), [[[[5, 7], [13, 15]]]]);
    assert.deepEqual(nn.avgPool2d(2).apply(null, x).toArray(), [[[[2.5, 4.5], [10.5, 12.5]]]]);
    const strided = nn.maxPool2d(3, { stride: 1, padding: 1 });
    assert.deepEqual(strided.init(k, [1, 1, 4, 4])[0], [1, 1, 4, 4]);
    assert.deepEqual(np.index(strided.apply(null, x), 0, 0, 0).toArray(), [5, 6, 7, 7]);
  });
  await t.step("flatten keeps the batch axis", () => {
    const layer = nn.flatten();
    assert.deepEqual(layer.init(k, [-1, 20, 4, 4])[0], [-1, 320]);
    assert.deepEqual(layer.apply(null, np.zeros([2, 20, 4, 4])).shape, [2, 320]);
  });
});

Deno.test("stochastic layers: dropout, dropout2d, gaussianNoise", async (t) => {
  const x = np.ones([200, 50]);
  await t.step("dropout is the identity at inference", () => {
    const layer = nn.dropout(0.3);
    assert.equal(layer.apply(null, x), x);
    assert.equal(layer.apply(null, x, { training: false, key: random.key(0) }), x);
  });
  await t.step("dropout zeroes about `rate` of the units and rescales the rest", () => {
    const y = nn.dropout(0.3).apply(null, x, { key: random.key(0), training: true });
    const values = flat(y);
    const zeros = values.filter((v) => v === 0).length / values.length;
    assert.ok(Math.abs(zeros - 0.3) < 0.02, `zero fraction ${zeros}`);
    assert.ok(values.every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-6));
    assert.throws(() => nn.dropout(0.3).apply(null, x, { training: true }), /needs a PRNG key/);
    assert.throws(() => nn.dropout(1), /drop rate in \[0, 1\)/);
  });
  await t.step("dropout2d zeroes whole channels", () => {
    const maps = np.ones([8, 16, 3, 3]);
    const y = nn.dropout2d(0.5).apply(null, maps, { key: random.key(1), training: true });
    const perChannel = (np.sum(y, [2, 3]).toArray() as number[][]).flat();
    assert.ok(perChannel.every((s) => s === 0 || Math.abs(s - 18) < 1e-5), `${perChannel}`);
    const dropped = perChannel.filter((s) => s === 0).length / perChannel.length;
    assert.ok(dropped > 0.3 && dropped < 0.7, `dropped ${dropped}`);
  });
  await t.step("gaussianNoise adds noise of the given scale when training", () => {
    const layer = nn.gaussianNoise(0.5);
    assert.equal(layer.apply(null, x), x);
    const y = layer.apply(null, x, { key: random.key(2), training: true });
    const noise = np.subtract(y, x);
    assert.ok(Math.abs(np.mean(noise).item()) < 0.02);
    assert.ok(Math.abs(Math.sqrt(np.variance(noise).item()) - 0.5) < 0.02);
  });
});

Deno.test("randomShift moves each image by its own offset within the bound", async (t) => {
  const [n, h, w, bound] = [16, 5, 6, 2];
  const images = np.add(np.reshape(np.arange(n * 2 * h * w), [n, 2, h, w]), 1);
  const shifted = (img: number[][][], dy: number, dx: number) =>
    img.map((ch) => ch.map((_, i) => ch[0].map((_, j) => ch[i - dy]?.[j - dx] ?? 0)));
  await t.step("the identity at inference", () => {
    assert.equal(nn.randomShift(bound).apply(null, images), images);
  });
  await t.step("in training, each example is its input moved by some |dy|, |dx| <= bound", () => {
    const out = nn.randomShift(bound).apply(null, images, { key: random.key(3), training: true });
    const given = images.toArray() as number[][][][];
    const got = out.toArray() as number[][][][];
    const offsets = new Set<string>();
    got.forEach((image, k) => {
      const match = [];
      for (let dy = -bound; dy <= bound; dy++) {
        for (let dx = -bound; dx <= bound; dx++) {
          if (JSON.stringify(shifted(given[k], dy, dx)) === JSON.stringify(image)) {
            match.push(`${dy},${dx}`);
          }
        }
      }
      assert.equal(match.length, 1, `example ${k} is no shift of its input within ${bound}`);
      offsets.add(match[0]);
    });
    assert.ok(offsets.size > 4, `only offsets ${[...offsets]} drawn for ${n} examples`);
  });
  await t.step("bad inputs are named", () => {
    assert.throws(() => nn.randomShift(-1), /whole number of pixels/);
    const flatInput = np.ones([2, 3]);
    assert.throws(
      () => nn.randomShift(1).apply(null, flatInput, { key: random.key(0), training: true }),
      /nn.randomShift: expected an input \[N, C, H, W\]/,
    );
  });
});

Deno.test("combinators: the lecture's MNIST network and a residual block", async (t) => {
  await t.step("serial builds the lecture's Net with the right shapes", () => {
    const net = convnet();
    const [shape, params] = net.init(random.key(0), [-1, 1, 28, 28]);
    assert.deepEqual(shape, [-1, 10]);
    const p = params as ({ w: Array } | null)[];
    assert.deepEqual(p.map((l) => l && l.w.shape), [
      [10, 1, 5, 5],
      null,
      null,
      [20, 10, 5, 5],
      null,
      null,
      null,
      null,
      [320, 50],
      null,
      null,
      [50, 10],
      null,
    ]);
    const x = random.uniform(random.key(1), [2, 1, 28, 28]);
    const eval1 = net.apply(params, x);
    assert.deepEqual(eval1.shape, [2, 10]);
    assertClose(np.sum(np.exp(eval1), 1), [1, 1], { rtol: 1e-5 });
    const trained = net.apply(params, x, { key: random.key(2), training: true });
    assert.notDeepEqual(trained.toArray(), eval1.toArray());
  });
  await t.step("fanOut, parallel and fanInSum make x + f(x)", () => {
    const block = nn.serial(nn.fanOut(2), nn.parallel(nn.dense(4), (x: Array) => x), nn.fanInSum());
    const [shape, params] = block.init(random.key(3), [-1, 4]);
    assert.deepEqual(shape, [-1, 4]);
    const x = random.normal(random.key(4), [3, 4]);
    const inner = nn.dense(4).apply((params[1] as unknown[])[0] as nn.DenseParams, x);
    assertClose(block.apply(params, x), np.add(x, inner), { rtol: 1e-6 });
    const concat = nn.serial(nn.fanOut(2), nn.parallel(nn.dense(2), nn.dense(3)), nn.fanInConcat());
    assert.deepEqual(concat.init(random.key(5), [-1, 4])[0], [-1, 5]);
    assert.throws(() => nn.parallel(nn.relu).apply([null], [x, x]), /list of 1 inputs/);
  });
  await t.step("a network trains under jit(grad), with dropout keys passed in", () => {
    const net = nn.serial(nn.dense(16), nn.tanh, nn.dropout(0.1), nn.dense(2));
    const [, params] = net.init(random.key(6), [-1, 2]);
    const x = random.normal(random.key(7), [32, 2]);
    const y = np.astype(np.greater(np.sum(x, 1), 0), "int32");
    const loss = (p: unknown[], key: Array) =>
      nn.softmaxCrossEntropy(net.apply(p, x, { key, training: true }), y);
    const step = jit((p: unknown[], key: Array) =>
      tree.map((w: Array, g: Array) => np.subtract(w, np.multiply(g, 0.5)), p, grad(loss)(p, key))
    );
    let p: unknown[] = params;
    const before = nn.softmaxCrossEntropy(net.apply(p, x), y).item();
    for (let i = 0; i < 30; i++) p = step(p, random.foldIn(random.key(8), i)) as unknown[];
    const after = nn.softmaxCrossEntropy(net.apply(p, x), y).item();
    assert.ok(after < before / 2, `loss ${before} -> ${after}`);
  });
});

Deno.test("losses and accuracy", async (t) => {
  const logits = f64([[2, 1, -1], [0.5, 0.5, 3], [1000, 0, -1000]]);
  const labels = np.array([0, 2, 1], "int32");
  const lse = (row: number[]) => {
    const m = Math.max(...row);
    return m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
  };
  const rows = logits.toArray() as number[][];
  const perExample = rows.map((r, i) => lse(r) - r[[0, 2, 1][i]]);
  await t.step("softmaxCrossEntropy: integer labels, one-hot targets, reductions", () => {
    assertClose(nn.softmaxCrossEntropy(logits, labels, { reduction: "none" }), perExample, {
      rtol: 1e-12,
    });
    const mean = perExample.reduce((a, b) => a + b) / 3;
    assertClose(nn.softmaxCrossEntropy(logits, labels), mean, { rtol: 1e-12 });
    assertClose(nn.softmaxCrossEntropy(logits, np.oneHot(labels, 3, "float64")), mean, {
      rtol: 1e-12,
    });
    assertClose(nn.softmaxCrossEntropy(logits, labels, { reduction: "sum" }), mean * 3, {
      rtol: 1e-12,
    });
    const byColumn = nn.softmaxCrossEntropy(np.transpose(logits), labels, {
      axis: 0,
      reduction: "none",
    });
    assertClose(byColumn, perExample, { rtol: 1e-12 });
    assert.throws(() => nn.softmaxCrossEntropy(logits, np.array([0, 1], "int32")), /batch shape/);
  });
  await t.step("its gradient is (softmax - onehot) / N", () => {
    const g = grad((z: Array) => nn.softmaxCrossEntropy(z, labels))(logits);
    const expected = np.divide(np.subtract(nn.softmax(logits), np.oneHot(labels, 3, "float64")), 3);
    assertClose(g, expected, { rtol: 1e-10, atol: 1e-15 });
  });
  await t.step("nll on logSoftmax equals softmax cross-entropy (the lecture's F.nll_loss)", () => {
    assertClose(nn.nll(nn.logSoftmax(logits), labels), nn.softmaxCrossEntropy(logits, labels), {
      rtol: 1e-12,
    });
  });
  await t.step("mse", () => {
    assertClose(nn.mse(f64([[1, 2], [3, 4]]), f64([[1, 0], [0, 4]])), (4 + 9) / 4, { rtol: 1e-12 });
    assertClose(nn.mse(f64([1, 2]), f64([0, 0]), { reduction: "sum" }), 5, { rtol: 1e-12 });
  });
  await t.step("binaryCrossEntropy on probabilities and, stably, on logits", () => {
    const z = f64([-2, 0.5, 3]);
    const target = f64([0, 1, 1]);
    const p = (z.toArray() as number[]).map((v) => 1 / (1 + Math.exp(-v)));
    const expected = p.map((pi, i) => (i === 0 ? -Math.log(1 - pi) : -Math.log(pi)));
    assertClose(nn.binaryCrossEntropy(nn.sigmoid(z), target, { reduction: "none" }), expected, {
      rtol: 1e-9,
    });
    assertClose(
      nn.binaryCrossEntropy(z, target, { fromLogits: true, reduction: "none" }),
      expected,
      { rtol: 1e-12 },
    );
    assertClose(
      nn.binaryCrossEntropy(f64([-800, 800]), f64([1, 0]), { fromLogits: true, reduction: "none" }),
      [800, 800],
      { rtol: 1e-12 },
    );
  });
  await t.step("accuracy compares argmax with integer or one-hot labels", () => {
    assertClose(nn.accuracy(logits, labels), 2 / 3, { rtol: 1e-7 });
    assertClose(nn.accuracy(logits, np.oneHot(labels, 3)), 2 / 3, { rtol: 1e-7 });
  });
});

Deno.test("regularizers: weight penalties with masks, activity penalties", async (t) => {
  const params = [{ w: f64([[1, -2], [0, 3]]), b: f64([5]) }, null, {
    w: f64([[-1]]),
    b: f64([2]),
  }];
  await t.step("l2 and l1 over all leaves or weights only", () => {
    assert.equal(nn.l2Penalty(params).item(), 1 + 4 + 9 + 25 + 1 + 4);
    assert.equal(nn.l2Penalty(params, { mask: nn.weightsOnly }).item(), 15);
    assert.equal(nn.l1Penalty(params, { mask: nn.weightsOnly }).item(), 7);
    const mask = [{ w: true, b: false }, null, { w: false, b: true }];
    assert.equal(nn.l1Penalty(params, { mask }).item(), 6 + 2);
    assert.throws(() => nn.l1Penalty(params, { mask: [true] }), /pytree of 4 booleans/);
  });
  await t.step("the L1 gradient is sign(w), the L2 gradient 2w", () => {
    const w = { w: f64([[0.5, -2]]) };
    assertClose(grad((p: typeof w) => nn.l1Penalty(p))(w).w, [[1, -1]], { rtol: 0, atol: 0 });
    assertClose(grad((p: typeof w) => nn.l2Penalty(p))(w).w, [[1, -4]], { rtol: 1e-12 });
  });
  await t.step("activity penalties average over the batch", () => {
    const h = f64([[0.5, -1], [0, 2]]);
    assert.equal(nn.activityL1(h).item(), 3.5 / 2);
    assert.equal(nn.activityL2(h).item(), 5.25 / 2);
  });
  await t.step("KL sparsity is zero at the target activity and grows away from it", () => {
    const atTarget = f64([[0.1, 0.2], [0.1, 0.0]]);
    assertClose(nn.klSparsity(atTarget, 0.1), 0, { atol: 1e-12 });
    const busy = f64([[0.5, 0.5], [0.5, 0.5]]);
    const kl = 0.1 * Math.log(0.1 / 0.5) + 0.9 * Math.log(0.9 / 0.5);
    assertClose(nn.klSparsity(busy, 0.1), 2 * kl, { rtol: 1e-9 });
    assert.throws(() => nn.klSparsity(busy, 0), /rho in \(0, 1\)/);
  });
});
