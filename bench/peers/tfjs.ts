/**
 * TensorFlow.js 4.22 (`@tensorflow/tfjs`, whose Node bundle registers the gradients, with the
 * `wasm` or `cpu` backend) as a benchmark contender.
 * Run it in an isolate (isolate.ts): TF.js keeps one global engine and active backend.
 *
 * Under Deno the wasm backend loads its `.wasm` binaries from the npm package's dist folder
 * (a file URL given to `setWasmPaths`). It runs on one thread: its multi-threaded build needs
 * Emscripten pthreads, which fail to spawn Node-style workers under Deno.
 *
 * TF.js is NHWC with HWIO filters; inputs are converted on the host while preparing. The wasm
 * backend has no Conv2DBackpropFilter kernel, so with `filterGradViaConv` the convnet's filter
 * gradient is computed as a forward conv2d of transposed operands through `tf.customGrad`.
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
import type * as TF from "@tensorflow/tfjs";

/** Which TF.js configuration to benchmark. */
export interface TfjsConfig {
  /** TF.js backend. */
  backend: "wasm" | "cpu";
  /** Compute conv filter gradients as forward convolutions through `tf.customGrad`. */
  filterGradViaConv?: boolean;
}

/** Permutes a row-major host tensor's axes (`perm[i]` is the source axis of output axis i). */
function permute(t: HostTensor, perm: number[]): HostTensor {
  const shape = perm.map((p) => t.shape[p]);
  const srcStrides = t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const data = new Float32Array(t.data.length);
  const idx = shape.map(() => 0);
  for (let o = 0; o < data.length; o++) {
    let src = 0;
    for (let i = 0; i < shape.length; i++) src += idx[i] * srcStrides[perm[i]];
    data[o] = t.data[src];
    for (let i = shape.length - 1; i >= 0 && ++idx[i] === shape[i]; i--) idx[i] = 0;
  }
  return { data, shape };
}

/** Reorders the first dense layer's rows from NCHW-flatten order to NHWC-flatten order. */
function nhwcRows(f1w: HostTensor, c: number, h: number, w: number): HostTensor {
  const out = f1w.shape[1];
  const as4 = { data: f1w.data, shape: [c, h, w, out] };
  const p = permute(as4, [1, 2, 0, 3]);
  return { data: p.data, shape: f1w.shape };
}

/** Creates the TF.js contender (imports and initialises the library; call once per isolate). */
export async function createTfjs(config: TfjsConfig): Promise<Contender> {
  const tf = await import("@tensorflow/tfjs");
  tf.enableProdMode();
  if (config.backend === "wasm") {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    const dist = new URL("./", import.meta.resolve("@tensorflow/tfjs-backend-wasm"));
    wasm.setWasmPaths(dist.href);
  }
  if (!(await tf.setBackend(config.backend))) {
    throw new Error(`TF.js backend ${config.backend} failed to initialise`);
  }
  await tf.ready();
  type T = TF.Tensor;
  type T4 = TF.Tensor4D;

  const tensor = (t: HostTensor): T => tf.tensor(t.data, t.shape);

  /** conv2d whose filter gradient is a forward conv2d (and input gradient a conv2dTranspose). */
  const convViaForward = (needInputGrad: boolean) =>
    tf.customGrad(
      ((x: T4, w: T4, save: (ts: T[]) => void) => {
        save([x, w]);
        return {
          value: tf.conv2d(x, w, 1, "valid"),
          gradFunc: (dy: T4, [xs, ws]: T4[]) => {
            const dw = tf.transpose(
              tf.conv2d(tf.transpose(xs, [3, 1, 2, 0]), tf.transpose(dy, [1, 2, 0, 3]), 1, "valid"),
              [1, 2, 0, 3],
            );
            const dx = needInputGrad
              ? tf.conv2dTranspose(dy, ws, xs.shape as [number, number, number, number], 1, "valid")
              : tf.zerosLike(xs);
            return [dx, dw];
          },
        };
      }) as any,
    ) as unknown as (x: T, w: T) => T;

  const viaForward = config.filterGradViaConv === true;
  const conv1 = viaForward
    ? convViaForward(false)
    : (x: T, w: T) => tf.conv2d(x as T4, w as T4, 1, "valid");
  const conv2 = viaForward
    ? convViaForward(true)
    : (x: T, w: T) => tf.conv2d(x as T4, w as T4, 1, "valid");

  const softmaxNll = (logits: T, y: T): T =>
    tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), y), 1)));

  const trainLoop = (loss: () => T, vars: T[]): Prepared => {
    const opt = tf.train.sgd(learningRate);
    const log = new LossLog();
    return {
      step() {
        const l = opt.minimize(loss as () => any, true, vars as any)!;
        log.push(l.dataSync()[0]);
        l.dispose();
      },
      check: () => log.check(),
      release: () => opt.dispose(),
    };
  };

  const variables = (inputs: Inputs, names: string[]) =>
    Object.fromEntries(names.map((k) => [k, tf.variable(tensor(inputs[k]))])) as Record<
      string,
      T
    >;

  /** A prepared call whose check value is the checksum of its last result. */
  const readsResult = (run: () => T, count: number): Prepared => {
    let last: ArrayLike<number> = [];
    return {
      step() {
        const r = run();
        last = r.dataSync();
        r.dispose();
      },
      check: () => checksum(last, count),
    };
  };

  return {
    name: "TF.js 4.22",
    detail: config.backend === "wasm"
      ? "wasm (XNNPACK SIMD), 1 thread"
      : "cpu (plain JS), 1 thread",
    prepare(c: BenchCase, inputs: Inputs): Promise<Prepared | NotAvailable> {
      switch (c.kind) {
        case "gemm": {
          const a = tensor(inputs.a), b = tensor(inputs.b);
          return Promise.resolve(readsResult(() => tf.matMul(a as any, b as any), c.n));
        }
        case "mlp": {
          const x = tensor(inputs.x), y = tensor(inputs.y);
          const p = variables(inputs, ["w1", "b1", "w2", "b2"]);
          const loss = () => {
            const h = tf.relu(tf.add(tf.matMul(x as any, p.w1 as any), p.b1));
            return softmaxNll(tf.add(tf.matMul(h, p.w2 as any), p.b2), y);
          };
          return Promise.resolve(trainLoop(loss, Object.values(p)));
        }
        case "convnet": {
          const n = c.batch;
          const x = tensor(permute(inputs.x, [0, 2, 3, 1])), y = tensor(inputs.y);
          const p = {
            ...variables(inputs, ["c1b", "c2b", "f1b", "f2w", "f2b"]),
            c1w: tf.variable(tensor(permute(inputs.c1w, [2, 3, 1, 0]))),
            c2w: tf.variable(tensor(permute(inputs.c2w, [2, 3, 1, 0]))),
            f1w: tf.variable(tensor(nhwcRows(inputs.f1w, 20, 4, 4))),
          } as Record<string, T>;
          const pool = (h: T) => tf.maxPool(h as T4, 2, 2, "valid");
          const loss = () => {
            let h = tf.add(conv1(x, p.c1w), p.c1b);
            h = tf.relu(pool(h));
            h = tf.add(conv2(h, p.c2w), p.c2b);
            h = tf.reshape(tf.relu(pool(h)), [n, 320]);
            h = tf.relu(tf.add(tf.matMul(h as any, p.f1w as any), p.f1b));
            return softmaxNll(tf.add(tf.matMul(h as any, p.f2w as any), p.f2b), y);
          };
          const prepared = trainLoop(loss, Object.values(p));
          if (viaForward) prepared.note = "filter grad = conv2d via tf.customGrad";
          return Promise.resolve(prepared);
        }
        case "jitFresh":
          return Promise.resolve({ na: "no jit (eager only)" });
        case "eager": {
          const x0 = tensor(inputs.x), y = tensor(inputs.y);
          return Promise.resolve(readsResult(() =>
            tf.tidy(() => {
              let x = x0;
              for (let i = 0; i < c.ops; i++) x = tf.add(x, y);
              return x;
            }), c.size));
        }
      }
    },
  };
}
