import assert from "node:assert/strict";
import {
  type Array,
  grad,
  jit,
  type NestedNumbers,
  nn,
  numpy as np,
  optim,
  random,
  tree,
} from "../mod.ts";
import { assertClose } from "./util/assert_close.ts";

// The quadratic f(w) = 1/2 sum_i a_i (w_i - c_i)^2 has its minimum at c and gradient a (w - c).
const A = [1, 4, 0.25];
const C = [1, -2, 0.5];
const W0 = [0, 0, 0];

const f64 = (xs: NestedNumbers) => np.array(xs, "float64");
const quadratic = (p: { w: Array }) =>
  np.sum(np.multiply(f64(A), np.square(np.subtract(p.w, f64(C))))).mul(0.5);
const gradient = (w: number[]) => w.map((wi, i) => A[i] * (wi - C[i]));

/** One weight's update rule in plain JS: `step(g, w, t)` returns `u`, keeping its own state. */
type HandRule = () => (g: number, w: number, t: number) => number;

interface Case {
  name: string;
  opt: optim.GradientTransformation<any>;
  hand: HandRule;
  /** Steps after which the distance to the optimum must have shrunk below `tolerance`. */
  steps: number;
  tolerance: number;
}

const lr = 0.1;
const CASES: Case[] = [
  {
    name: "sgd",
    opt: optim.sgd(lr),
    hand: () => (g) => -lr * g,
    steps: 200,
    tolerance: 0.01,
  },
  {
    name: "sgd with momentum",
    opt: optim.sgd(lr, { momentum: 0.5 }),
    hand: () => {
      let v = 0;
      return (g) => {
        v = 0.5 * v + g;
        return -lr * v;
      };
    },
    steps: 200,
    tolerance: 1e-4,
  },
  {
    name: "sgd with nesterov momentum",
    opt: optim.sgd(lr, { momentum: 0.5, nesterov: true }),
    hand: () => {
      let v = 0;
      return (g) => {
        v = 0.5 * v + g;
        return -lr * (g + 0.5 * v);
      };
    },
    steps: 200,
    tolerance: 1e-4,
  },
  {
    name: "adagrad",
    opt: optim.adagrad(0.5),
    hand: () => {
      let G = 0;
      return (g) => {
        G += g * g;
        return (-0.5 * g) / Math.sqrt(G + 1e-7);
      };
    },
    steps: 300,
    tolerance: 1e-3,
  },
  {
    name: "adadelta",
    opt: optim.adadelta(1, { rho: 0.9, eps: 1e-6 }),
    hand: () => {
      let eg = 0, edx = 0;
      return (g) => {
        eg = 0.9 * eg + 0.1 * g * g;
        const d = (Math.sqrt(edx + 1e-6) / Math.sqrt(eg + 1e-6)) * g;
        edx = 0.9 * edx + 0.1 * d * d;
        return -d;
      };
    },
    // Adadelta starts with tiny steps (sqrt(eps)) and speeds up; it gets there slowly.
    steps: 1500,
    tolerance: 0.05,
  },
  {
    name: "rmsprop",
    opt: optim.rmsprop(0.01),
    hand: () => {
      let nu = 0;
      return (g) => {
        nu = 0.9 * nu + 0.1 * g * g;
        return (-0.01 * g) / Math.sqrt(nu + 1e-8);
      };
    },
    steps: 400,
    tolerance: 0.02,
  },
  {
    name: "rmsprop, centered",
    opt: optim.rmsprop(0.01, { centered: true }),
    hand: () => {
      let mu = 0, nu = 0;
      return (g) => {
        mu = 0.9 * mu + 0.1 * g;
        nu = 0.9 * nu + 0.1 * g * g;
        return (-0.01 * g) / Math.sqrt(nu - mu * mu + 1e-8);
      };
    },
    steps: 400,
    tolerance: 0.02,
  },
  {
    name: "adam",
    opt: optim.adam(0.05),
    hand: () => {
      let m = 0, v = 0;
      return (g, _w, t) => {
        m = 0.9 * m + 0.1 * g;
        v = 0.999 * v + 0.001 * g * g;
        const mHat = m / (1 - 0.9 ** t), vHat = v / (1 - 0.999 ** t);
        return (-0.05 * mHat) / (Math.sqrt(vHat) + 1e-8);
      };
    },
    steps: 400,
    tolerance: 1e-3,
  },
  {
    name: "adamw",
    opt: optim.adamw(0.05, { weightDecay: 0.01 }),
    hand: () => {
      let m = 0, v = 0;
      return (g, w, t) => {
        m = 0.9 * m + 0.1 * g;
        v = 0.999 * v + 0.001 * g * g;
        const mHat = m / (1 - 0.9 ** t), vHat = v / (1 - 0.999 ** t);
        return -0.05 * (mHat / (Math.sqrt(vHat) + 1e-8) + 0.01 * w);
      };
    },
    // Weight decay moves the optimum slightly towards 0 (by about 1% of c / a).
    steps: 400,
    tolerance: 0.05,
  },
];

function distance(w: number[]): number {
  return Math.hypot(...w.map((wi, i) => wi - C[i]));
}

Deno.test("each update rule equals its formula written out by hand, and converges", async (t) => {
  for (const c of CASES) {
    await t.step(c.name, () => {
      let params = { w: f64(W0) };
      let state = c.opt.init(params);
      const rules = W0.map(() => c.hand());
      let hand = [...W0];
      for (let step = 1; step <= 5; step++) {
        const g = grad(quadratic)(params);
        const [updates, next] = c.opt.update(g, state, params);
        params = optim.applyUpdates(params, updates);
        state = next;
        const hg = gradient(hand);
        hand = hand.map((w, i) => w + rules[i](hg[i], w, step));
        assertClose(params.w, hand, { rtol: 1e-10, atol: 1e-12 }, `step ${step}`);
      }
      const step = jit((p: { w: Array }, s: unknown) => {
        const [u, next] = c.opt.update(grad(quadratic)(p), s, p);
        return [optim.applyUpdates(p, u), next];
      });
      const start = distance(params.w.toArray() as number[]);
      for (let i = 5; i < c.steps; i++) [params, state] = step(params, state);
      const end = distance(params.w.toArray() as number[]);
      assert.ok(end < c.tolerance && end < start, `${c.name}: distance ${start} -> ${end}`);
    });
  }
});

Deno.test("transformations compose: clipping, scaling, weight decay, proximal L1", async (t) => {
  const g = { a: f64([3, 0]), b: f64([0, 4]) };
  await t.step("clipByGlobalNorm rescales all leaves by maxNorm / global norm", () => {
    const [clipped] = optim.clipByGlobalNorm(1).update(g, {});
    assertClose(clipped.a, [0.6, 0], { rtol: 1e-12 });
    assertClose(clipped.b, [0, 0.8], { rtol: 1e-12 });
    const [kept] = optim.clipByGlobalNorm(10).update(g, {});
    assertClose(kept.a, [3, 0], { rtol: 0, atol: 0 });
    assert.equal(optim.globalNorm(g).item(), 5);
  });
  await t.step("chain applies in order and keeps one state per link", () => {
    const opt = optim.chain(
      optim.clipByGlobalNorm(1),
      optim.scale(2),
      optim.scaleByLearningRate(0.5),
    );
    const state = opt.init(g);
    assert.equal(state.length, 3);
    const [u] = opt.update(g, state);
    assertClose(u.a, [-0.6, 0], { rtol: 1e-12 });
  });
  await t.step("addDecayedWeights adds lambda * w where the mask selects", () => {
    const params = { w: f64([[1, 2]]), b: f64([3]) };
    const grads = { w: f64([[0, 0]]), b: f64([0]) };
    const [u] = optim.addDecayedWeights(0.1, nn.weightsOnly).update(grads, {}, params);
    assertClose(u.w, [[0.1, 0.2]], { rtol: 1e-12 });
    assertClose(u.b, [0], { rtol: 0, atol: 0 });
    const [v] = optim.addDecayedWeights(0.1, { w: false, b: true }).update(grads, {}, params);
    assertClose(v.b, [0.3], { rtol: 1e-12 });
    assert.throws(() => optim.addDecayedWeights(0.1).update(grads, {}), /needs the current params/);
    assert.throws(
      () => optim.addDecayedWeights(0.1, { w: true }).update(grads, {}, params),
      /pytree of 2 booleans/,
    );
  });
  await t.step("proximalL1 soft-thresholds to exact zeros", () => {
    const params = { w: f64([0.05, -0.3, 1]) };
    const [u] = optim.proximalL1(0.1).update({ w: f64([0, 0, 0]) }, {}, params);
    const next = optim.applyUpdates(params, u);
    const w = next.w.toArray() as number[];
    assert.equal(w[0], 0);
    assertClose(w, [0, -0.2, 0.9], { rtol: 1e-12, atol: 0 });
  });
  await t.step("scaleBySchedule multiplies by the schedule at the step count", () => {
    const opt = optim.scaleBySchedule(optim.piecewiseConstant([2], [1, 10]));
    let state = opt.init(g);
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      const [u, next] = opt.update({ x: np.array([1], "float32") }, state);
      state = next;
      seen.push((u.x.toArray() as number[])[0]);
    }
    assert.deepEqual(seen, [1, 1, 10]);
  });
});

Deno.test("schedules follow their formulas", () => {
  const at = (s: optim.Schedule, t: number) => s(np.array(t, "int32")).item();
  const close = (a: number, b: number) =>
    assert.ok(Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)), `${a} vs ${b}`);
  close(at(optim.constant(0.3), 7), 0.3);
  const exp = optim.exponentialDecay(1, 10, 0.5);
  for (const t of [0, 5, 10, 25]) close(at(exp, t), 0.5 ** (t / 10));
  close(at(optim.exponentialDecay(1, 10, 0.5, { staircase: true }), 19), 0.5);
  close(at(optim.exponentialDecay(1, 10, 0.5, { endValue: 0.3 }), 100), 0.3);
  const cos = optim.cosineDecay(2, 100, 0.1);
  for (const t of [0, 30, 100, 150]) {
    const c = 0.5 * (1 + Math.cos((Math.PI * Math.min(t, 100)) / 100));
    close(at(cos, t), 2 * ((1 - 0.1) * c + 0.1));
  }
  const warm = optim.linearWarmup(1, 10, optim.cosineDecay(1, 20));
  close(at(warm, 0), 0);
  close(at(warm, 5), 0.5);
  close(at(warm, 10), 1);
  close(at(warm, 20), 0.5);
  close(at(optim.linearWarmup(1, 10), 50), 1);
  const pw = optim.piecewiseConstant([10, 20], [3, 2, 1]);
  assert.deepEqual([0, 9, 10, 19, 20, 99].map((t) => at(pw, t)), [3, 3, 2, 2, 1, 1]);
  assert.throws(() => optim.piecewiseConstant([10, 5], [1, 2, 3]), /increasing boundaries/);
  close(optim.cosineDecay(1, 10)(5).item(), 0.5);
});

Deno.test("a jitted training step (grad + update + apply) equals the eager one", () => {
  const net = nn.serial(nn.dense(8), nn.tanh, nn.dense(3));
  const [, params0] = net.init(random.key(0), [-1, 4]);
  const x = random.normal(random.key(1), [16, 4]);
  const y = np.array(globalThis.Array.from({ length: 16 }, (_, i) => i % 3), "int32");
  const loss = (p: typeof params0) => nn.softmaxCrossEntropy(net.apply(p, x), y);
  const opt = optim.chain(optim.clipByGlobalNorm(1), optim.adamw(0.01, { mask: nn.weightsOnly }));
  type State = [typeof params0, optim.OptState[]];
  const step = (p: typeof params0, s: optim.OptState[]): State => {
    const [u, next] = opt.update(grad(loss)(p), s, p);
    return [optim.applyUpdates(p, u), next];
  };
  const jitted = jit(step);
  let eager: State = [params0, opt.init(params0)];
  let compiled = eager;
  for (let i = 0; i < 3; i++) {
    eager = step(...eager);
    compiled = jitted(...compiled);
  }
  const expected = tree.leaves(eager) as Array[];
  (tree.leaves(compiled) as Array[]).forEach((leaf, i) => {
    assertClose(leaf, expected[i], { rtol: 1e-5, atol: 1e-6 });
  });
  assert.ok(loss(eager[0]).item() < loss(params0).item());
});
