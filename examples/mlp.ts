/**
 * The lecture's MLP, g(W^o g(W^h x)), trained by batch gradient descent on a synthetic
 * three-class spiral with softmax cross-entropy. The whole training step is one jitted function.
 *
 *   deno run examples/mlp.ts
 * @module
 */
import { grad, jit, numpy as np, tree } from "../mod.ts";

type Params = { hidden: { w: np.Array; b: np.Array }; out: { w: np.Array; b: np.Array } };

/** A small deterministic PRNG for the synthetic data (mulberry32). */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Three interleaved spiral arms of `perClass` noisy points each. */
function spirals(perClass: number, rand: () => number): { x: np.Array; y: np.Array } {
  const xs: number[][] = [], ys: number[] = [];
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < perClass; i++) {
      const r = i / perClass;
      const t = (c * 4 + 4 * r) + (rand() - 0.5) * 0.4;
      xs.push([r * Math.sin(t), r * Math.cos(t)]);
      ys.push(c);
    }
  }
  return { x: np.array(xs, "float32"), y: np.array(ys, "int32") };
}

function init(sizes: [number, number, number], rand: () => number): Params {
  const layer = (n: number, m: number) => ({
    w: np.array(
      Array.from(
        { length: n },
        () => Array.from({ length: m }, () => (rand() - 0.5) * 2 / Math.sqrt(n)),
      ),
      "float32",
    ),
    b: np.zeros([m]),
  });
  return { hidden: layer(sizes[0], sizes[1]), out: layer(sizes[1], sizes[2]) };
}

function predict(p: Params, x: np.Array): np.Array {
  const h = np.tanh(x.matmul(p.hidden.w).add(p.hidden.b));
  return h.matmul(p.out.w).add(p.out.b);
}

function loss(p: Params, x: np.Array, y: np.Array): np.Array {
  const logits = predict(p, x);
  const logp = logits.sub(np.logsumexp(logits, 1, true));
  return np.mean(np.sum(logp.mul(np.oneHot(y, 3)), 1)).neg();
}

// The step consumes the parameters it is given (they are replaced each epoch), so the loop runs
// in flat memory without waiting for the garbage collector.
const step = jit((p: Params, x: np.Array, y: np.Array): Params => {
  const g = grad(loss)(p, x, y);
  return tree.map((w: np.Array, gw: np.Array) => w.sub(gw.mul(1.0)), p, g) as Params;
}, { donateArgnums: [0] });

const rand = prng(0);
const { x, y } = spirals(100, rand);
let params = init([2, 32, 3], rand);
console.log("epoch  loss    accuracy");
for (let epoch = 0; epoch <= 2000; epoch++) {
  if (epoch % 200 === 0) {
    const acc = np.mean(np.equal(np.argmax(predict(params, x), 1), y)).item();
    console.log(
      `${String(epoch).padStart(5)}  ${loss(params, x, y).item().toFixed(4)}  ${
        (100 * acc).toFixed(1)
      }%`,
    );
  }
  params = step(params, x, y);
}
