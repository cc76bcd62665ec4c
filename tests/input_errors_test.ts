/**
 * Bad input is refused, not silently misread: each public call given a value of the wrong kind
 * throws an AdjointError naming the call, what it was given and what it expects, or (where the
 * input has a sensible meaning, as JAX gives it) returns the right result.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { describeValue } from "../core/describe.ts";
import { AdjointError, type Array, jit, lax, nn, numpy as np, optim, random } from "../mod.ts";
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

Deno.test("np.index refuses float arrays, mixed lists, scalar booleans and traced masks", () => {
  const bad: [unknown, RegExp, RegExp][] = [
    [np.array([0, 1], "float32"), /an array f32\[2\]/, /must be int32 or bool.*np\.astype/],
    [[0, true], /\[0, true\] \(a JS list\)/, /integers or booleans only/],
    [[0.5, 1], /\[0\.5, 1\]/, /integers or booleans only/],
    [true, /is true/, /expected an integer, a slice/],
  ];
  for (const [entry, given, expected] of bad) {
    refuses(() => np.index(x23, entry as np.Index), /^np\.index:/, given, expected);
  }
  refuses(
    () => jit((m: Array) => np.index(x23, m))(np.array([true, false], "bool")),
    /^np\.index:/,
    /boolean mask bool\[2\] whose values are not known/,
    /np\.where\(mask, x, y\)/,
  );
  refuses(
    () => np.index(x23, np.array([true, false, true], "bool")),
    /mask of size 3 along axis 0 does not match/,
  );
  refuses(() => np.index(x23, [0, 2]), /index 2 is out of bounds for axis 0 of size 2/);
  refuses(() => np.index(x23, 0, [-4]), /index -4 is out of bounds for axis 1 of size 3/);
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
    () => np.take(x, np.array([0, 1], "float32")),
    /^np\.take:/,
    /indices must be an integer array, got f32\[2\]/,
    /np\.astype\(indices, "int32"\)/,
  );
  refuses(() => np.take(x, np.array([true, false], "bool")), /bool\[2\]/, /np\.where/);
  assert.deepEqual(np.take(x, [2, 0]).toArray(), [30, 10]);
  assert.deepEqual(np.take(x, new Float32Array([1])).toArray(), [20]);
});

Deno.test("nn.softmaxCrossEntropy refuses float class indices, bad shapes and concrete out-of-range labels", () => {
  const logits = np.array([[2, 1, 0], [0, 1, 2]], "float32");
  refuses(
    () => nn.softmaxCrossEntropy(logits, np.array([0, 2], "float32")),
    /^nn\.softmaxCrossEntropy:/,
    /float labels f32\[2\]/,
    /np\.astype\(labels, "int32"\)/,
  );
  refuses(
    () => nn.softmaxCrossEntropy(logits, np.array([[0, 1]], "float32")),
    /float labels f32\[1,2\]/,
    /integer labels of shape \[2\] or float targets of shape \[2,3\]/,
  );
  refuses(
    () => nn.softmaxCrossEntropy(logits, np.array([0, 1, 2], "int32")),
    /integer labels i32\[3\] must have the batch shape \[2\]/,
  );
  refuses(
    () => nn.softmaxCrossEntropy(logits, np.array([0, 3], "int32")),
    /label 3 \(element 1 of labels i32\[2\]\) is out of range for 3 classes/,
    /\[0, 2\]/,
  );
  refuses(() => nn.softmaxCrossEntropy(logits, [0, 1] as never), /labels as an array/, /JS list/);
  // Classes on axis 0: the labels index that axis, and the check uses its size.
  refuses(
    () => nn.softmaxCrossEntropy(np.transpose(logits), np.array([0, 3], "int32"), { axis: 0 }),
    /out of range for 3 classes/,
  );
});

Deno.test("softmaxCrossEntropy checks exactly the labels outside [0, classes) when concrete", () => {
  const classes = 4;
  fc.assert(
    fc.property(fc.array(fc.integer({ min: -2, max: 6 }), { minLength: 1, maxLength: 6 }), (ls) => {
      const logits = np.zeros([ls.length, classes]);
      const call = () => nn.softmaxCrossEntropy(logits, np.array(ls, "int32"));
      if (ls.every((l) => l >= 0 && l < classes)) {
        assert.ok(Math.abs(call().item() - Math.log(classes)) < 1e-6);
      } else {
        refuses(call, new RegExp(`label ${ls.find((l) => l < 0 || l >= classes)} `));
      }
    }),
    runs(50),
  );
});

Deno.test("under jit labels are traced and unchecked: an out-of-range label is an all-zero target", () => {
  const logits = np.array([[2, 1, 0]], "float32");
  const loss = jit((z: Array, y: Array) => nn.softmaxCrossEntropy(z, y));
  // -sum_c y_c log p_c with y all zeros: 0, as nn.nll gives for the same label.
  assert.equal(Math.abs(loss(logits, np.array([7], "int32")).item()), 0);
  const nll = jit((z: Array, y: Array) => nn.nll(nn.logSoftmax(z), y));
  assert.equal(Math.abs(nll(logits, np.array([7], "int32")).item()), 0);
});

Deno.test("nn.nll refuses float class indices and out-of-range labels", () => {
  const logProbs = nn.logSoftmax(np.array([[2, 1, 0], [0, 1, 2]], "float32"));
  refuses(
    () => nn.nll(logProbs, np.array([1, 0], "float32")),
    /^nn\.nll:/,
    /float labels f32\[2\]/,
    /must be integers/,
  );
  refuses(() => nn.nll(logProbs, np.array([-1, 0], "int32")), /^nn\.nll:/, /label -1/);
});

Deno.test("nn.accuracy refuses float class indices, bad shapes and out-of-range labels", () => {
  const scores = np.array([[0.1, 0.9], [0.8, 0.2]]);
  refuses(
    () => nn.accuracy(scores, np.array([1, 0], "float32")),
    /^nn\.accuracy:/,
    /float labels f32\[2\]/,
    /np\.astype\(labels, "int32"\)/,
  );
  refuses(() => nn.accuracy(scores, np.array([1], "int32")), /^nn\.accuracy:/, /batch shape \[2\]/);
  refuses(() => nn.accuracy(scores, np.array([2, 0], "int32")), /label 2 .* for 2 classes/);
  assert.equal(nn.accuracy(scores, np.array([1, 0], "int32")).item(), 1);
  assert.equal(nn.accuracy(scores, np.oneHot(np.array([1, 1], "int32"), 2)).item(), 0.5);
});

Deno.test("nn.mse and nn.binaryCrossEntropy refuse targets of another shape instead of broadcasting", () => {
  refuses(
    () => nn.mse(np.ones([4, 1]), np.ones([4])),
    /^nn\.mse:/,
    /prediction f32\[4,1\] and target f32\[4\]/,
    /same shape/,
  );
  refuses(
    () => nn.binaryCrossEntropy(np.full([3], 0.5), np.ones([3, 1]), { fromLogits: true }),
    /^nn\.binaryCrossEntropy:/,
    /input f32\[3\] and target f32\[3,1\]/,
  );
});

const OPTIMIZERS: [string, (lr: unknown) => unknown][] = [
  ["sgd", (lr) => optim.sgd(lr as number)],
  ["adagrad", (lr) => optim.adagrad(lr as number)],
  ["adadelta", (lr) => optim.adadelta(lr as number)],
  ["rmsprop", (lr) => optim.rmsprop(lr as number)],
  ["adam", (lr) => optim.adam(lr as number)],
  ["adamw", (lr) => optim.adamw(lr as number)],
  ["scaleByLearningRate", (lr) => optim.scaleByLearningRate(lr as number)],
];

Deno.test("optim.adam and every optimiser refuse a learning rate that is a string, NaN or negative", () => {
  refuses(
    () => optim.adam("0.1" as never),
    /^optim\.adam:/,
    /learningRate must be a finite number >= 0 or a schedule/,
    /got "0\.1" \(a string\); pass the number 0\.1/,
  );
  for (const [name, make] of OPTIMIZERS) {
    const call = new RegExp(`^optim\\.${name}:`);
    refuses(() => make("0.01"), call, /"0\.01" \(a string\)/);
    refuses(() => make(NaN), call, /got NaN/);
    refuses(() => make(Infinity), call, /got Infinity/);
    refuses(() => make(null), call, /got null/);
    refuses(() => make(-0.1), call, /got -0\.1/, /scaleByLearningRate\(lr, false\)/);
    make(0.1);
    make(optim.constant(0.1));
  }
});

Deno.test("optimiser options must be an object of known keys with values in range", () => {
  refuses(() => optim.sgd(0.1, 0.9 as never), /^optim\.sgd:/, /options object/, /got 0\.9/);
  refuses(() => optim.adam(0.1, { beta1: 0.9 } as never), /unknown option "beta1"/, /b1, b2/);
  refuses(() => optim.adam(0.1, { b1: 1 }), /^optim\.adam:/, /b1 must be a number in \[0, 1\)/);
  refuses(() => optim.sgd(0.1, { momentum: 1.5 }), /momentum must be a number in \[0, 1\]/);
  refuses(() => optim.rmsprop(0.1, { eps: -1 }), /^optim\.rmsprop:/, /eps must be/, /got -1/);
  refuses(() => optim.adamw(0.1, { weightDecay: NaN }), /^optim\.adamw:/, /weightDecay/);
  refuses(() => optim.adadelta(1, { rho: 2 }), /^optim\.adadelta:/, /rho/, /got 2/);
  refuses(() => optim.adagrad(0.1, { initialAccumulator: -1 }), /initialAccumulator/);
  refuses(() => optim.scale(NaN), /^optim\.scale:/, /factor must be a finite number/);
  refuses(() => optim.trace(-0.5), /^optim\.trace:/, /decay/);
  refuses(() => optim.scaleByAdam({ b2: 1 }), /^optim\.scaleByAdam:/, /b2/);
  refuses(() => optim.clipByGlobalNorm(0), /^optim\.clipByGlobalNorm:/, /maxNorm must be .* > 0/);
  refuses(() => optim.proximalL1(-1), /^optim\.proximalL1:/, /threshold/);
  refuses(() => optim.addDecayedWeights("1e-4" as never), /pass the number 0\.0001/);
  refuses(() => optim.scaleBySchedule(0.1 as never), /^optim\.scaleBySchedule:/, /got 0\.1/);
});

Deno.test("schedules refuse values that are not finite numbers and steps that are not positive", () => {
  refuses(() => optim.constant("1" as never), /^optim\.constant:/, /value/, /"1" \(a string\)/);
  refuses(() => optim.exponentialDecay(1, 10, -0.5), /^optim\.exponentialDecay:/, /decayRate/);
  refuses(() => optim.exponentialDecay(1, 0, 0.5), /transitionSteps must be .* > 0, got 0/);
  refuses(() => optim.exponentialDecay(1, 10, 0.5, { staircas: true } as never), /"staircas"/);
  refuses(() => optim.cosineDecay(NaN, 10), /^optim\.cosineDecay:/, /initValue/, /NaN/);
  refuses(() => optim.linearSchedule(0, 1, 0), /^optim\.linearSchedule:/, /steps/);
  refuses(
    () => optim.linearWarmup(1, 10, "cosine" as never),
    /^optim\.linearWarmup:/,
    /after must be a schedule/,
    /"cosine" \(a string\)/,
  );
  refuses(
    () => optim.piecewiseConstant([10, NaN], [1, 2, 3]),
    /^optim\.piecewiseConstant:/,
    /\[10, NaN\]/,
  );
});

Deno.test("jit consumes an array donated twice in one call once, and computes the right result", () => {
  const add = jit((a: Array, b: Array) => a.add(b), { donateArgnums: [0, 1] });
  const x = np.array([1, 2]);
  assert.deepEqual(add(x, x).toArray(), [2, 4]);
  assert.throws(() => x.toArray(), /donated to a jitted function/);
  const sum = jit((s: { a: Array; b: Array }) => s.a.mul(s.b), { donateArgnums: [0] });
  const y = np.array([3, 4]);
  assert.deepEqual(sum({ a: y, b: y }).toArray(), [9, 16]);
  assert.throws(() => y.toArray(), /donated/);
});

Deno.test("nn.serial and nn.parallel refuse a layer factory left uncalled, saying how to call it", () => {
  const factories: [unknown, string][] = [
    [nn.flatten, "nn.flatten()"],
    [nn.dense, "nn.dense(features)"],
    [nn.conv2d, "nn.conv2d(outChannels, kernelSize)"],
    [nn.maxPool2d, "nn.maxPool2d(windowSize)"],
    [nn.avgPool2d, "nn.avgPool2d(windowSize)"],
    [nn.dropout, "nn.dropout(rate)"],
    [nn.dropout2d, "nn.dropout2d(rate)"],
    [nn.gaussianNoise, "nn.gaussianNoise(stddev)"],
    [nn.randomShift, "nn.randomShift(maxShift)"],
    [nn.fanInSum, "nn.fanInSum()"],
    [nn.fanInConcat, "nn.fanInConcat()"],
    [nn.fanOut, "nn.fanOut(n)"],
    [nn.serial, "nn.serial(...layers)"],
  ];
  for (const [factory, call] of factories) {
    const name = (factory as { name: string }).name;
    refuses(
      () => nn.serial(nn.relu, factory as never),
      /^nn\.serial:/,
      new RegExp(`layer 1 is the function ${name}, which builds a layer`),
      new RegExp(`call it, ${call.replace(/[().]/g, "\\$&")}`),
    );
  }
  refuses(() => nn.parallel(nn.flatten as never), /^nn\.parallel:/, /call it, nn\.flatten\(\)/);
  refuses(
    () => nn.serial(nn.dense(2), undefined as never),
    /layer 1 is undefined/,
    /expected a layer \{ init, apply \}/,
  );
  // A factory of the user's own is caught when its result, a layer, comes out of `apply`.
  const block = () => nn.serial(nn.dense(2), nn.relu);
  const net = nn.serial(block as never);
  const [, params] = net.init(random.key(0), [-1, 3]);
  refuses(
    () => net.apply(params, np.ones([1, 3])),
    /^nn\.activation:/,
    /the function block, used as a layer, returned \{init: function, apply: function\}/,
    /nn\.serial\(block\(\.\.\.\)\)/,
  );
});

Deno.test("lax.sort sorts a single array into a single array, as JAX does", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 8 }),
      (xs) => {
        const sorted = lax.sort(np.array(xs, "int32"));
        assert.deepEqual(sorted.toArray(), [...xs].sort((a, b) => a - b));
      },
    ),
    runs(30),
  );
  const m = np.array([[3, 1, 2], [0, -1, 5]]);
  assert.deepEqual(lax.sort(m).toArray(), [[1, 2, 3], [-1, 0, 5]], "default: the last axis");
  assert.deepEqual(lax.sort(m, -2).toArray(), lax.sort([m], 0)[0].toArray());
  refuses(() => lax.sort([]), /^lax\.sort:/, /non-empty list of arrays/, /got \[\] \(a JS list\)/);
  refuses(() => lax.sort([m], 2), /^lax\.sort:/, /axis 2 is out of bounds/);
  refuses(() => lax.sort([m, m], 1, 3), /numKeys must be an integer in \[1, 2\]/, /got 3/);
});

Deno.test("random.categorical takes JAX's keywords as an options object", () => {
  const key = random.key(3);
  const logits = np.log(np.array([[0.2, 0.8, 0.5], [0.6, 0.1, 0.3]]));
  assert.deepEqual(
    random.categorical(key, logits, { shape: [5, 2] }).toArray(),
    random.categorical(key, logits, -1, [5, 2]).toArray(),
  );
  assert.deepEqual(
    random.categorical(key, logits, { axis: 0 }).toArray(),
    random.categorical(key, logits, 0).toArray(),
  );
  refuses(
    () => random.categorical(key, logits, { replace: false } as never),
    /^random\.categorical:/,
    /unknown option "replace"/,
    /axis, shape/,
  );
  refuses(
    () => random.categorical(key, logits, { shape: [2] }, [2]),
    /shape is given twice/,
  );
  refuses(
    () => random.categorical(key, logits, "1" as never),
    /axis must be an integer or the options \{ axis, shape \}/,
    /"1" \(a string\)/,
  );
});

Deno.test("random samplers refuse a shape that is not a list of non-negative integers", () => {
  const key = random.key(0);
  const samplers: [string, (shape: never) => unknown][] = [
    ["bits", (s) => random.bits(key, s)],
    ["uniform", (s) => random.uniform(key, s)],
    ["normal", (s) => random.normal(key, s)],
    ["truncatedNormal", (s) => random.truncatedNormal(key, -1, 1, s)],
    ["randint", (s) => random.randint(key, s, 0, 3)],
    ["gumbel", (s) => random.gumbel(key, s)],
    ["bernoulli", (s) => random.bernoulli(key, 0.5, s)],
  ];
  for (const [name, draw] of samplers) {
    const call = new RegExp(`^random\\.${name}:`);
    refuses(
      () => draw(3 as never),
      call,
      /a list of non-negative integers/,
      /for 3 samples write \[3\]/,
    );
    refuses(() => draw([2, -1] as never), call, /got \[2, -1\] \(a JS list\)/);
  }
  refuses(() => random.normal(key, [2], { dtyp: "float64" } as never), /unknown option "dtyp"/);
  refuses(() => random.bernoulli(key, 1.5), /^random\.bernoulli:/, /p must be a probability/);
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

Deno.test("a broadcasting error counts the mismatched dimension from the end", () => {
  assert.throws(
    () => np.add(np.zeros([2, 3, 5]), np.zeros([4, 5])),
    (e: unknown) => e instanceof Error && /\(dimension 2 from the end: 3 vs 4\)/.test(e.message),
  );
});
