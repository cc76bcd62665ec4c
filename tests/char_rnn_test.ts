/**
 * The char-RNN example (examples/char_rnn.ts): the LSTM cell against its formulas, the
 * `lax.scan` loss against the same model unrolled in JavaScript (values and gradients, float64,
 * also jitted) and against finite differences, the vocabulary and the windows, the flags, and a
 * tiny run of the whole example that lowers the loss and writes its curves.
 */
import assert from "node:assert/strict";
import { grad, jit, numpy as np, random, tree, valueAndGrad } from "../mod.ts";
import {
  charLoss,
  DEFAULTS,
  initLstm,
  lstmCell,
  type LstmParams,
  main,
  parseArgs,
  readCorpus,
  sequenceLoss,
  vocabulary,
  windows,
} from "../examples/char_rnn.ts";
import { assertClose } from "./util/assert_close.ts";
import { seededArray } from "./util/arbitraries.ts";
import { hostData, inner, numericJvp } from "./util/finite_diff.ts";

const TOL = { rtol: 1e-10, atol: 1e-12 };
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Float64 parameters for `v` characters and state size `h`, and int32 windows `[t, b]`. */
function problem(v: number, h: number, t: number, b: number, seed: number) {
  const params = initLstm(random.key(seed), v, h, "float64");
  const ids = (s: number) => random.randint(random.key(s), [t, b], 0, v);
  return { params, inputs: ids(seed + 1), targets: ids(seed + 2) };
}

Deno.test("lstmCell computes the LSTM's gate formulas", () => {
  // State size 2, batch 1: every gate by hand on the host.
  const p = {
    ...initLstm(random.key(3), 3, 2, "float64"),
    wh: seededArray([2, 8], 4),
    b: seededArray([8], 5),
  };
  const h = seededArray([1, 2], 6), c = seededArray([1, 2], 7), zx = seededArray([1, 8], 8);
  const [h2, c2] = lstmCell(p, [h, c], zx);
  const [hv, cv, zv, whv, bv] = [h, c, zx, p.wh, p.b].map(hostData);
  const z = (k: number) => zv[k] + hv[0] * whv[k] + hv[1] * whv[8 + k] + bv[k];
  const gate = (g: number, j: number) => z(2 * g + j); // gates i, f, g, o of width 2
  const wantC = [0, 1].map((j) =>
    sigmoid(gate(1, j)) * cv[j] + sigmoid(gate(0, j)) * Math.tanh(gate(2, j))
  );
  const wantH = [0, 1].map((j) => sigmoid(gate(3, j)) * Math.tanh(wantC[j]));
  assertClose(c2, [wantC], TOL, "c");
  assertClose(h2, [wantH], TOL, "h");
});

Deno.test("initLstm: shapes, uniform weights within 1/sqrt(H), forget bias 1", () => {
  const p = initLstm(random.key(0), 7, 5);
  assert.deepEqual(
    [p.wx.shape, p.wh.shape, p.b.shape, p.wy.shape, p.by.shape],
    [[7, 20], [5, 20], [20], [5, 7], [7]],
  );
  assert.equal(p.wh.dtype, "float32");
  for (const w of [p.wx, p.wh, p.wy]) {
    assert.ok(hostData(w).every((x) => Math.abs(x) <= 1 / Math.sqrt(5)));
  }
  assert.deepEqual([...hostData(p.b)], [...Array(20)].map((_, i) => (i >= 5 && i < 10 ? 1 : 0)));
});

Deno.test("the scan loss equals the model unrolled in JavaScript: value and gradients", () => {
  const { params, inputs, targets } = problem(6, 4, 5, 3, 10);
  const [scanned, unrolled] = (["scan", "unrolled"] as const).map((loop) =>
    valueAndGrad((p: LstmParams) => charLoss(p, inputs, targets, loop))(params)
  );
  assertClose(scanned[0], unrolled[0], TOL, "loss");
  tree.leaves(scanned[1]).forEach((g, i) =>
    assertClose(g as np.Array, tree.leaves(unrolled[1])[i] as np.Array, TOL, `gradient ${i}`)
  );
  // The same, jitted (on wasm, the scan's body runs as a compiled program per step).
  const jitted = jit(grad((p: LstmParams) => charLoss(p, inputs, targets)), { compile: "sync" });
  tree.leaves(jitted(params)).forEach((g, i) =>
    assertClose(g as np.Array, tree.leaves(unrolled[1])[i] as np.Array, TOL, `jit gradient ${i}`)
  );
  // One-hot targets and a projection given directly: the same loss.
  const zx = np.take(params.wx, inputs, 0);
  assertClose(sequenceLoss(params, zx, np.oneHot(targets, 6, "float64")), unrolled[0], TOL);
});

Deno.test("the scan loss's gradient matches finite differences", () => {
  const { params, inputs, targets } = problem(5, 3, 4, 2, 20);
  const keys = Object.keys(params) as (keyof LstmParams)[];
  const loss = (...xs: np.Array[]) =>
    charLoss(Object.fromEntries(keys.map((k, i) => [k, xs[i]])) as any, inputs, targets);
  const xs = keys.map((k) => params[k]);
  const vs = xs.map((x, i) => seededArray(x.shape, 30 + i));
  const g = grad(loss, { argnums: keys.map((_, i) => i) })(...xs) as np.Array[];
  const fd = hostData(numericJvp(loss, xs, vs) as np.Array)[0];
  assert.ok(Math.abs(inner(g, vs) - fd) <= 1e-8 * Math.max(1, Math.abs(fd)), `${inner(g, vs)}`);
});

Deno.test("vocabulary and windows", () => {
  const v = vocabulary("abcab\nλ");
  assert.deepEqual(v.chars, ["\n", "a", "b", "c", "λ"]);
  assert.deepEqual([...v.encode("cab\nλ")], [3, 1, 2, 0, 4]);
  assert.equal(v.decode(v.encode("bλa")), "bλa");
  assert.throws(() => v.encode("abz"), /the character "z" does not occur in the corpus/);
  // Time-major windows and their next characters.
  const { inputs, targets } = windows(Int32Array.from([0, 1, 2, 3, 4, 5, 6]), [0, 3], 3);
  assert.deepEqual(inputs.toArray(), [[0, 3], [1, 4], [2, 5]]);
  assert.deepEqual(targets.toArray(), [[1, 4], [2, 5], [3, 6]]);
  assert.equal(inputs.dtype, "int32");
});

Deno.test("the corpus is this repository's README and library sources", async () => {
  const text = await readCorpus();
  assert.ok(text.startsWith("# Adjoint"), text.slice(0, 20));
  assert.ok(text.includes("export function scan("), "core/control/scan.ts is in the corpus");
  assert.ok(text.length > 300_000, `${text.length} characters`);
});

Deno.test("flags", async (t) => {
  await t.step("defaults", () => {
    const o = parseArgs([])!;
    assert.deepEqual(o, { ...DEFAULTS });
    assert.equal(o.limit, undefined);
  });
  await t.step("values are read with a space or an equals sign", () => {
    const o = parseArgs([
      "--epochs",
      "3",
      "--hidden=32",
      "--prompt",
      "const x",
      "--temperature=0.5",
      "--limit",
      "1000",
    ])!;
    assert.deepEqual(
      [o.epochs, o.hidden, o.prompt, o.temperature, o.limit],
      [3, 32, "const x", 0.5, 1000],
    );
  });
  await t.step("--help gives null", () => assert.equal(parseArgs(["--seed", "2", "-h"]), null));
  await t.step("bad flags and values are errors naming the flag", () => {
    assert.throws(() => parseArgs(["--epoch", "2"]), /unknown flag "--epoch"/);
    assert.throws(() => parseArgs(["--hidden", "0"]), /--hidden needs a positive integer/);
    assert.throws(() => parseArgs(["--lr", "fast"]), /--lr needs a positive number/);
    assert.throws(() => parseArgs(["--seed=-1"]), /--seed needs an integer >= 0/);
    assert.throws(() => parseArgs(["--backend", "cuda"]), /--backend must be one of wasm, ref/);
    assert.throws(() => parseArgs(["--prompt="]), /--prompt needs a non-empty text/);
    assert.throws(() => parseArgs(["--epochs"]), /--epochs needs a value/);
  });
});

Deno.test("a tiny run trains (the loss falls), samples and writes its curves", async () => {
  const out = await Deno.makeTempDir({ prefix: "char-rnn-" });
  try {
    const options = parseArgs([
      "--epochs=2",
      "--steps-per-epoch=8",
      "--batch-size=8",
      "--seq-length=16",
      "--hidden=16",
      "--lr=0.02",
      "--sample-length=12",
      "--limit=40000",
      `--out=${out}`,
    ])!;
    const r = await main(options);
    assert.equal(r.stepLosses.length, 16);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const [first, last] = [r.stepLosses.slice(0, 4), r.stepLosses.slice(-4)];
    assert.ok(mean(last) < mean(first) - 0.2, `${r.stepLosses}`);
    assert.ok(r.history[1].validLoss < r.initialValidLoss, JSON.stringify(r.history));
    // About ln(V) before training: the logits start near zero.
    assert.ok(Math.abs(r.initialValidLoss - Math.log(r.vocab.chars.length)) < 0.1);
    for (const { sample } of r.history) {
      assert.equal([...sample].length, 12);
      assert.ok([...sample].every((c) => r.vocab.chars.includes(c)), sample);
    }
    assert.match(await Deno.readTextFile(r.svg), /^<svg[^]*training loss per step/);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
