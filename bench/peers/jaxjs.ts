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
import { type BenchCase, type HostTensor, type Inputs, learningRate } from "../cases.ts";
import type { Outputs } from "../check.ts";
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

  /**
   * The LSTM language model over one-hot `x`, `y` `[T, B, V]`, unrolled in JavaScript (jax-js has
   * no scan): gates i, f, g, o from `x wx + h wh + b`, a dense readout at every step.
   */
  const lstmLoss = (p: Record<string, A>, x: A, y: A): A => {
    const [t, b] = x.shape, h = p.wh.shape[0];
    const zx = np.matmul(x, p.wx);
    let hPrev = np.zeros([b, h]), cPrev = np.zeros([b, h]);
    const hs: A[] = [];
    for (let i = 0; i < t; i++) {
      const z = zx.ref.slice(i).add(np.matmul(hPrev, p.wh.ref)).add(p.b.ref);
      const [ig, fg, gg, og] = np.split(z, 4, -1);
      cPrev = nn.sigmoid(fg).mul(cPrev).add(nn.sigmoid(ig).mul(np.tanh(gg)));
      hPrev = nn.sigmoid(og).mul(np.tanh(cPrev.ref));
      hs.push(hPrev.ref);
    }
    for (const a of [zx, p.wh, p.b, hPrev, cPrev]) a.dispose();
    const logits = np.matmul(np.stack(hs), p.wy).add(p.by);
    return np.mean(np.sum(nn.logSoftmax(logits, -1).mul(y), -1)).neg();
  };

  const sgdStep =
    (loss: (p: Record<string, A>, x: A, y: A) => A) => (p: Record<string, A>, x: A, y: A) => {
      const [l, g] = jax.valueAndGrad(loss)(tree.ref(p), x, y);
      return [l, tree.map((w: A, gw: A) => w.sub(gw.mul(learningRate)), p, g)] as [
        A,
        Record<string, A>,
      ];
    };

  /** Reads arrays back as outputs (consuming them). */
  const outputs = async (named: Record<string, A>): Promise<Outputs> => {
    const out: Outputs = {};
    for (const [k, v] of Object.entries(named)) {
      const shape = [...v.shape];
      out[k] = { data: await v.data(), shape };
    }
    return out;
  };

  type Step = (p: Record<string, A>, x: A, y: A) => [A, Record<string, A>];

  /** The inputs on the device: data, labels, and a maker of fresh initial parameters. */
  const trainingInputs = (inputs: Inputs) => {
    const { x: hx, y: hy, ...hp } = inputs;
    const fresh = () => Object.fromEntries(Object.entries(hp).map(([k, t]) => [k, arr(t)]));
    return { x: arr(hx), y: arr(hy), fresh };
  };

  const trainLoop = (step: Step, inputs: Inputs): Prepared => {
    const { x, y, fresh } = trainingInputs(inputs);
    let p = fresh();
    return {
      async step() {
        const [loss, next] = step(p, x.ref, y.ref);
        p = next;
        await loss.data();
      },
      result: () => {
        const [loss, next] = step(fresh(), x.ref, y.ref);
        return outputs({ loss, ...next });
      },
      release() {
        tree.dispose(p);
        x.dispose();
        y.dispose();
      },
    };
  };

  /** A prepared call whose result is the array it returns, as `name`. */
  const readsResult = (run: () => A, name: string, release: () => void): Prepared => ({
    async step() {
      await run().data();
    },
    result: () => outputs({ [name]: run() }),
    release,
  });

  return {
    name: "jax-js 0.1.25",
    detail: parallel ? `wasm, ${threads} worker thread(s)` : "wasm, main thread",
    prepare(c: BenchCase, inputs: Inputs): Promise<Prepared | NotAvailable> {
      switch (c.kind) {
        case "gemm": {
          const a = arr(inputs.a), b = arr(inputs.b);
          return Promise.resolve(
            readsResult(() => np.matmul(a.ref, b.ref), "c", () => (a.dispose(), b.dispose())),
          );
        }
        case "mlp":
          return Promise.resolve(trainLoop(jax.jit(sgdStep(mlpLoss)), inputs));
        case "convnet":
          return Promise.resolve(trainLoop(jax.jit(sgdStep(convnetLoss)), inputs));
        case "lstm": {
          const prepared = trainLoop(jax.jit(sgdStep(lstmLoss)), inputs);
          prepared.note = "unrolled (no scan)";
          return Promise.resolve(prepared);
        }
        case "jitFresh": {
          const { x, y, fresh } = trainingInputs(inputs);
          const p = fresh();
          /** A fresh jit of the step, called once; its outputs, or only the loss's value. */
          const freshJit = async (all: boolean): Promise<Outputs> => {
            const f = jax.jit(sgdStep(mlpLoss));
            const [loss, next] = f(tree.ref(p), x.ref, y.ref);
            try {
              if (all) return await outputs({ loss, ...next });
              tree.dispose(next);
              await loss.data();
              return {};
            } finally {
              f.dispose();
            }
          };
          return Promise.resolve({
            step: () => freshJit(false),
            result: () => freshJit(true),
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
            "x",
            () => (x0.dispose(), y.dispose()),
          ));
        }
      }
    },
  };
}
