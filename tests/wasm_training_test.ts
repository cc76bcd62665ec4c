/**
 * End to end on the wasm backend: the loss and gradients of a small MLP and of a small
 * convolutional network (conv, max pool, dense, softmax cross-entropy) equal the reference
 * backend's, eagerly and under jit, and a few SGD steps on wasm follow the same trajectory.
 */
import "../kernels/wasm/backend.ts";
import { type Array, grad, jit, lax, numpy as np, valueAndGrad } from "../mod.ts";
import { assertClose } from "./util/assert_close.ts";
import { withDefaultBackend } from "../core/backend.ts";

/** Deterministic values in [-scale, scale]. */
function values(n: number, seed: number, scale = 1): number[] {
  let s = seed >>> 0;
  return globalThis.Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 * 2 - 1) * scale;
  });
}

function param(shape: number[], seed: number, scale: number): Array {
  const n = shape.reduce((a, b) => a * b, 1);
  return np.reshape(np.array(values(n, seed, scale)), shape);
}

function crossEntropy(logits: Array, labels: number[]): Array {
  const logp = logits.sub(np.logsumexp(logits, 1, true));
  const onehot = np.oneHot(np.array(labels, "int32"), logits.shape[1]);
  return np.mean(np.sum(logp.mul(onehot), 1)).neg();
}

type Params = Record<string, Array>;

function mlpParams(): Params {
  return {
    w1: param([12, 16], 1, 0.4),
    b1: param([16], 2, 0.1),
    w2: param([16, 5], 3, 0.4),
    b2: param([5], 4, 0.1),
  };
}

function mlpLoss(p: Params, x: Array, labels: number[]): Array {
  const h = np.tanh(np.matmul(x, p.w1).add(p.b1));
  return crossEntropy(np.matmul(h, p.w2).add(p.b2), labels);
}

function convParams(): Params {
  return {
    k1: param([4, 1, 3, 3], 5, 0.5),
    c1: param([4], 6, 0.1),
    k2: param([6, 4, 3, 3], 7, 0.3),
    w: param([6 * 2 * 2, 3], 8, 0.3),
    b: param([3], 9, 0.1),
  };
}

/** conv 1->4 k3, relu, max pool 2, conv 4->6 k3 (SAME), relu, max pool 2, dense to 3. */
function convLoss(p: Params, x: Array, labels: number[]): Array {
  let h = lax.conv(x, p.k1).add(np.reshape(p.c1, [1, 4, 1, 1]));
  h = lax.reduceWindow(np.maximum(h, 0), "max", [1, 1, 2, 2]);
  h = lax.conv(h, p.k2, { padding: "SAME" });
  h = lax.reduceWindow(np.maximum(h, 0), "max", [1, 1, 2, 2]);
  const flat = np.reshape(h, [x.shape[0], 6 * 2 * 2]);
  return crossEntropy(np.matmul(flat, p.w).add(p.b), labels);
}

function compare(a: Params, b: Params, tol: { rtol: number; atol: number }, what: string): void {
  for (const k of Object.keys(a)) assertClose(a[k], b[k], tol, `${what} ${k}`);
}

const TOL = { rtol: 2e-4, atol: 2e-5 };

Deno.test("wasm: grad of an MLP loss equals ref", () => {
  const labels = [0, 3, 1, 4, 2, 2, 0];
  const run = (backend: string) =>
    withDefaultBackend(backend, () => {
      const x = param([7, 12], 10, 1);
      const [loss, g] = valueAndGrad((p: Params) => mlpLoss(p, x, labels))(mlpParams());
      return { loss: loss.item(), g: g as Params };
    });
  const ref = run("ref"), wasm = run("wasm");
  assertClose(wasm.loss, ref.loss, TOL, "loss");
  compare(wasm.g, ref.g, TOL, "gradient");
});

Deno.test("wasm: grad of a conv net loss equals ref, eager and jitted", () => {
  const labels = [2, 0, 1];
  const run = (backend: string, jitted: boolean) =>
    withDefaultBackend(backend, () => {
      const x = param([3, 1, 11, 11], 11, 1);
      const g = grad((p: Params) => convLoss(p, x, labels));
      return (jitted ? jit(g) : g)(convParams()) as Params;
    });
  const ref = run("ref", false);
  compare(run("wasm", false), ref, TOL, "eager gradient");
  compare(run("wasm", true), ref, TOL, "jitted gradient");
});

Deno.test("wasm: SGD steps on the conv net follow ref's trajectory", () => {
  const labels = [1, 2, 0];
  const train = (backend: string) =>
    withDefaultBackend(backend, () => {
      const x = param([3, 1, 11, 11], 12, 1);
      const step = jit((p: Params) => {
        const g = grad((q: Params) => convLoss(q, x, labels))(p) as Params;
        return Object.fromEntries(Object.keys(p).map((k) => [k, p[k].sub(g[k].mul(0.5))]));
      });
      let p = convParams();
      const losses: number[] = [];
      for (let i = 0; i < 5; i++) {
        p = step(p) as Params;
        losses.push(convLoss(p, x, labels).item());
      }
      return losses;
    });
  const ref = train("ref"), wasm = train("wasm");
  assertClose(wasm, ref, { rtol: 1e-3, atol: 1e-4 }, "losses");
  if (!(ref[4] < ref[0])) throw new Error(`the loss should decrease: ${ref}`);
});
