/**
 * The MNIST convnet demo (examples/mnist_convnet.ts) in seconds: the lecture's network has the
 * lecture's shapes, its flags parse, a few jitted training steps on a small MNIST subset lower
 * the loss, the evaluation counts what `nn.accuracy` counts, and a one-epoch run writes curves and
 * a checkpoint that loads back. Runs on the wasm backend.
 */
import assert from "node:assert/strict";
import "../kernels/wasm/backend.ts";
import {
  type Array,
  data,
  defaultBackendName,
  nn,
  numpy as np,
  random,
  setDefaultBackend,
  train,
  type Tree,
  tree,
} from "../mod.ts";
import {
  type Batch,
  convnet,
  DEFAULTS,
  evalStep,
  evaluate,
  LECTURE,
  main,
  optimizerFor,
  parseArgs,
  type TrainState,
  trainStep,
} from "../examples/mnist_convnet.ts";
import { assertClose } from "./util/assert_close.ts";

/** Runs `fn` with the wasm backend as the default, restoring the previous default after. */
async function onWasm<T>(fn: () => Promise<T>): Promise<T> {
  const before = defaultBackendName();
  setDefaultBackend("wasm");
  try {
    return await fn();
  } finally {
    setDefaultBackend(before);
  }
}

/** The first `n` standardised training examples. */
async function subset(n: number): Promise<Batch> {
  const { images, labels } = await data.mnistSplit("train", { limit: n, standardize: true });
  return { x: images, y: labels };
}

Deno.test("the convnet has the lecture's layer shapes", () =>
  onWasm(async () => {
    const net = convnet();
    const [outShape, params] = net.init(random.key(0), [-1, 1, 28, 28]);
    assert.deepEqual(outShape, [-1, 10]);
    type Weights = { w: Array; b: Array };
    const layers = params.map((p) => p && [(p as Weights).w.shape, (p as Weights).b.shape]);
    assert.deepEqual(layers, [
      [[10, 1, 5, 5], [10]], // conv 1->10 k5
      null, // max-pool 2
      null, // relu
      [[20, 10, 5, 5], [20]], // conv 10->20 k5
      null, // Dropout2d
      null, // max-pool 2
      null, // relu
      null, // flatten
      [[320, 50], [50]], // dense 320->50
      null, // relu
      null, // dropout
      [[50, 10], [10]], // dense 50->10
      null, // log-softmax
    ]);
    const sizes = (tree.leaves(params) as Array[]).map((p) => p.size);
    assert.equal(sizes.reduce((a, b) => a + b, 0), 21840);
    const { x } = await subset(5);
    const logProbs = net.apply(params, x);
    assert.deepEqual(logProbs.shape, [5, 10]);
    // Log-probabilities: each row's probabilities sum to 1.
    assertClose(np.sum(np.exp(logProbs), -1), [1, 1, 1, 1, 1], { rtol: 1e-5, atol: 1e-5 });
  }));

Deno.test("flags", async (t) => {
  await t.step("defaults are the DEFAULTS preset with the lecture's batch sizes", () => {
    const o = parseArgs([])!;
    const { optimizer, epochs, lr, momentum, schedule, shift } = o;
    assert.deepEqual({ optimizer, epochs, lr, momentum, schedule, shift }, DEFAULTS);
    assert.equal(o.batchSize, 64);
    assert.equal(o.testBatchSize, 1000);
    assert.equal(o.backend, "wasm");
    assert.equal(o.limit, undefined);
  });
  await t.step("--preset lecture is the lecture's SGD; later flags override it", () => {
    const o = parseArgs(["--preset", "lecture"])!;
    assert.deepEqual(
      [o.optimizer, o.lr, o.momentum, o.schedule, o.shift, o.epochs],
      ["sgd", 0.01, 0.5, "constant", 0, 10],
    );
    assert.deepEqual({ ...o, epochs: 3 }, parseArgs(["--preset=lecture", "--epochs", "3"]));
    assert.equal(LECTURE.momentum, 0.5);
  });
  await t.step("values are read with a space or an equals sign", () => {
    const o = parseArgs(["--optimizer", "adam", "--epochs=3", "--limit", "500", "--seed=7"])!;
    assert.deepEqual([o.optimizer, o.epochs, o.limit, o.seed, o.lr], ["adam", 3, 500, 7, 1e-3]);
    assert.equal(parseArgs(["--optimizer=adam", "--lr", "0.5"])!.lr, 0.5);
  });
  await t.step(
    "--help gives null",
    () => assert.equal(parseArgs(["--epochs", "2", "--help"]), null),
  );
  await t.step("bad flags and values are errors naming the flag", () => {
    assert.throws(() => parseArgs(["--epoch", "2"]), /unknown flag "--epoch"/);
    assert.throws(() => parseArgs(["--epochs", "0"]), /--epochs needs a positive integer, got "0"/);
    assert.throws(() => parseArgs(["--lr", "fast"]), /--lr needs a positive number/);
    assert.throws(() => parseArgs(["--backend", "cuda"]), /--backend must be one of wasm, ref/);
    assert.throws(
      () => parseArgs(["--schedule=step"]),
      /--schedule must be one of constant, cosine/,
    );
    assert.throws(() => parseArgs(["--seed"]), /--seed needs a value/);
    assert.throws(
      () => parseArgs(["--preset", "fast"]),
      /--preset must be one of default, lecture/,
    );
  });
});

Deno.test("a few jitted SGD steps on an MNIST subset lower the loss", () =>
  onWasm(async () => {
    const set = await subset(256);
    const net = convnet();
    const [, params] = net.init(random.key(1), [-1, 1, 28, 28]);
    const options = { ...parseArgs([])!, lr: 0.05 };
    const optimizer = optimizerFor(options, 12);
    const step = trainStep(net, optimizer);
    const lossOf = (p: Tree[]) => nn.nll(net.apply(p, set.x), set.y).item();
    const before = lossOf(params);
    let state: TrainState = { params, opt: optimizer.init(params), key: random.key(2) };
    const keys: string[] = [];
    for (let epoch = 0; epoch < 3; epoch++) {
      const order = random.permutation(random.key(epoch), 256);
      for await (const batch of data.batches(set, { batchSize: 64, order })) {
        const [next, metrics] = step(state, batch) as [TrainState, { loss: Array }];
        assert.ok(Number.isFinite(metrics.loss.item()));
        keys.push(next.key.toArray().toString());
        state = next;
      }
    }
    const after = lossOf(state.params);
    assert.ok(after < before - 0.05, `loss ${before} -> ${after} after 12 steps`);
    assert.equal(new Set(keys).size, keys.length, "each step draws a new dropout key");
  }));

Deno.test("evaluation sums the NLL loss and counts correct predictions over batches", () =>
  onWasm(async () => {
    const set = await subset(250);
    const net = convnet();
    const [, params] = net.init(random.key(3), [-1, 1, 28, 28]);
    // 250 = 2 x 100 + 50: the last batch is smaller.
    const got = await evaluate(evalStep(net), params, set, 100);
    const logProbs = net.apply(params, set.x);
    const accuracy = nn.accuracy(logProbs, set.y).item();
    assertClose(got.testLoss, nn.nll(logProbs, set.y).item(), { rtol: 1e-5, atol: 1e-6 });
    assert.equal(got.correct, Math.round(accuracy * 250));
    assert.equal(got.testAccuracy, got.correct / 250);
  }));

Deno.test("a one-epoch run writes the curves and a checkpoint that loads back", () =>
  onWasm(async () => {
    const out = await Deno.makeTempDir({ prefix: "mnist_convnet_test" });
    try {
      const run = await main({
        ...parseArgs(["--limit", "128", "--test-limit", "300", "--epochs", "1"])!,
        out,
      });
      assert.equal(run.history.length, 1);
      const [log] = run.history;
      for (const k of ["trainLoss", "testLoss", "trainAccuracy", "testAccuracy"]) {
        assert.ok(Number.isFinite(log[k]), `${k} is ${log[k]}`);
      }
      assert.match(await Deno.readTextFile(run.svg), /^<svg[\s\S]*testAccuracy[\s\S]*<\/svg>/);
      const loaded = await train.loadCheckpoint(run.checkpoint, {
        like: run.params as Tree<Array>,
      });
      const [a, b] = [tree.leaves(loaded) as Array[], tree.leaves(run.params) as Array[]];
      a.forEach((leaf, i) => assertClose(leaf, b[i], { rtol: 0, atol: 0 }));
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  }));
