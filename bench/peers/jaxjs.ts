/**
 * jax-js (`npm:@jax-js/jax`) on its Wasm backend as a benchmark contender. Run it in an isolate
 * (isolate.ts): jax-js sizes its kernel worker pool from `navigator.hardwareConcurrency` when its
 * backend initialises, so the thread count is fixed per worker by overriding that value before
 * the library is imported.
 *
 * jax-js counts references: every function consumes its array arguments, `.ref` keeps one alive,
 * `data()` reads and consumes. The models below follow that rule.
 * @module
 */
import {
  type BenchCase,
  checksum,
  type HostTensor,
  type Inputs,
  learningRate,
  LossLog,
} from "../cases.ts";
import type { Contender, NotAvailable, Prepared } from "../contender.ts";

/** Which jax-js configuration to benchmark. */
export interface JaxJsConfig {
  /** Kernel worker threads (`"all"`: the core count). */
  threads: number | "all";
}

/** Creates the jax-js contender (imports and initialises the library; call once per isolate). */
export async function createJaxJs(config: JaxJsConfig): Promise<Contender> {
  const threads = config.threads === "all" ? navigator.hardwareConcurrency : config.threads;
  Object.defineProperty(navigator, "hardwareConcurrency", { value: threads, configurable: true });
  const jax = await import("@jax-js/jax");
  const devices = await jax.init("wasm");
  if (!devices.includes("wasm")) throw new Error(`jax-js wasm device unavailable (${devices})`);
  jax.defaultDevice("wasm");
  const { numpy: np, nn, lax, tree } = jax;
  type A = InstanceType<typeof np.Array>;
  const parallel = typeof SharedArrayBuffer !== "undefined" && typeof Worker !== "undefined";

  const arr = (t: HostTensor): A => np.array(t.data).reshape(t.shape);

  const softmaxNll = (logits: A, y: A): A =>
    np.mean(np.sum(nn.logSoftmax(logits, -1).mul(y), 1)).neg();

  const mlpLoss = (p: Record<string, A>, x: A, y: A): A => {
    const h = nn.relu(np.matmul(x, p.w1).add(p.b1));
    return softmaxNll(np.matmul(h, p.w2).add(p.b2), y);
  };

  const maxPool2 = (h: A): A => lax.reduceWindow(h, (w: A) => np.max(w), [2, 2], [2, 2]);

  const convnetLoss = (p: Record<string, A>, x: A, y: A): A => {
    const n = x.shape[0];
    let h = lax.conv(x, p.c1w, [1, 1], "VALID").add(p.c1b.reshape([1, 10, 1, 1]));
    h = nn.relu(maxPool2(h));
    h = lax.conv(h, p.c2w, [1, 1], "VALID").add(p.c2b.reshape([1, 20, 1, 1]));
    h = nn.relu(maxPool2(h)).reshape([n, 320]);
    h = nn.relu(np.matmul(h, p.f1w).add(p.f1b));
    return softmaxNll(np.matmul(h, p.f2w).add(p.f2b), y);
  };

  const sgdStep =
    (loss: (p: Record<string, A>, x: A, y: A) => A) => (p: Record<string, A>, x: A, y: A) => {
      const [l, g] = jax.valueAndGrad(loss)(tree.ref(p), x, y);
      return [l, tree.map((w: A, gw: A) => w.sub(gw.mul(learningRate)), p, g)] as [
        A,
        Record<string, A>,
      ];
    };

  const trainLoop = (
    step: (p: Record<string, A>, x: A, y: A) => [A, Record<string, A>],
    inputs: Inputs,
  ): Prepared => {
    const { x: hx, y: hy, ...hp } = inputs;
    const x = arr(hx), y = arr(hy);
    let p: Record<string, A> = Object.fromEntries(
      Object.entries(hp).map(([k, t]) => [k, arr(t)]),
    );
    const log = new LossLog();
    return {
      async step() {
        const [loss, next] = step(p, x.ref, y.ref);
        p = next;
        log.push((await loss.data())[0]);
      },
      check: () => log.check(),
      release() {
        tree.dispose(p);
        x.dispose();
        y.dispose();
      },
    };
  };

  /** A prepared call whose check value is the checksum of its last result. */
  const readsResult = (run: () => A, count: number, release: () => void): Prepared => {
    let last: ArrayLike<number> = [];
    return {
      async step() {
        last = await run().data();
      },
      check: () => checksum(last, count),
      release,
    };
  };

  return {
    name: "jax-js 0.1.25",
    detail: parallel ? `wasm, ${threads} worker thread(s)` : "wasm, main thread",
    prepare(c: BenchCase, inputs: Inputs): Promise<Prepared | NotAvailable> {
      switch (c.kind) {
        case "gemm": {
          const a = arr(inputs.a), b = arr(inputs.b);
          return Promise.resolve(
            readsResult(() => np.matmul(a.ref, b.ref), c.n, () => (a.dispose(), b.dispose())),
          );
        }
        case "mlp":
          return Promise.resolve(trainLoop(jax.jit(sgdStep(mlpLoss)), inputs));
        case "convnet":
          return Promise.resolve(trainLoop(jax.jit(sgdStep(convnetLoss)), inputs));
        case "jitFresh": {
          const { x: hx, y: hy, ...hp } = inputs;
          const x = arr(hx), y = arr(hy);
          const p = Object.fromEntries(Object.entries(hp).map(([k, t]) => [k, arr(t)]));
          let last = NaN;
          return Promise.resolve({
            async step() {
              const f = jax.jit(sgdStep(mlpLoss));
              const [loss, next] = f(tree.ref(p), x.ref, y.ref);
              tree.dispose(next);
              last = (await loss.data())[0];
              f.dispose();
            },
            check: () => last,
            release: () => (tree.dispose(p), x.dispose(), y.dispose()),
          });
        }
        case "eager": {
          const x0 = arr(inputs.x), y = arr(inputs.y);
          return Promise.resolve(readsResult(
            () => {
              let x = x0.ref;
              for (let i = 0; i < c.ops; i++) x = x.add(y.ref);
              return x;
            },
            c.size,
            () => (x0.dispose(), y.dispose()),
          ));
        }
      }
    },
  };
}
