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
import { type BenchCase, type HostTensor, type Inputs, learningRate } from "../cases.ts";
import type { Outputs } from "../check.ts";
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
  const p = permute({ data: f1w.data, shape: [c, h, w, out] }, [1, 2, 0, 3]);
  return { data: p.data, shape: f1w.shape };
}

/** The inverse of `nhwcRows`: NHWC-flatten rows back to NCHW-flatten order. */
function nchwRows(f1w: HostTensor, c: number, h: number, w: number): HostTensor {
  const out = f1w.shape[1];
  const p = permute({ data: f1w.data, shape: [h, w, c, out] }, [2, 0, 1, 3]);
  return { data: p.data, shape: f1w.shape };
}

/** A parameter in TF.js's layout, and how to turn its values back into the case's layout. */
interface Layout {
  /** The case's layout to TF.js's. */
  toTf: (t: HostTensor) => HostTensor;
  /** TF.js's layout to the case's. */
  fromTf: (t: HostTensor) => HostTensor;
}

const sameLayout: Layout = { toTf: (t) => t, fromTf: (t) => t };

/** OIHW filters as HWIO. */
const hwio: Layout = {
  toTf: (t) => permute(t, [2, 3, 1, 0]),
  fromTf: (t) => permute(t, [3, 2, 0, 1]),
};

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

  /** Values of a tensor on the host, as a float32 host tensor. */
  const onHost = (t: T): HostTensor => ({
    data: Float32Array.from(t.dataSync()),
    shape: [...t.shape],
  });

  /**
   * A training loop over variables made from the named inputs, each in its layout. Its result
   * resets the variables to the inputs and takes one step.
   */
  const trainLoop = (
    loss: (p: Record<string, TF.Variable>) => T,
    inputs: Inputs,
    layouts: Record<string, Layout>,
  ): Prepared => {
    const p: Record<string, TF.Variable> = Object.fromEntries(
      Object.entries(layouts).map(([k, l]) => [k, tf.variable(tensor(l.toTf(inputs[k])))]),
    );
    return variablesLoop(() => loss(p), p, inputs, layouts);
  };

  /**
   * A training loop over given variables (named as the inputs, each in its layout) that `loss`
   * reads. Its result resets the variables to the inputs and takes one step.
   */
  const variablesLoop = (
    loss: () => T,
    p: Record<string, TF.Variable>,
    inputs: Inputs,
    layouts: Record<string, Layout>,
  ): Prepared => {
    const opt = tf.train.sgd(learningRate);
    const vars = Object.values(p);
    const step = () => {
      const l = opt.minimize(() => loss() as any, true, vars)!;
      const value = l.dataSync()[0];
      l.dispose();
      return value;
    };
    return {
      step,
      result() {
        for (const [k, v] of Object.entries(p)) {
          tf.tidy(() => v.assign(tensor(layouts[k].toTf(inputs[k]))));
        }
        const out: Outputs = { loss: { data: [step()], shape: [] } };
        for (const [k, v] of Object.entries(p)) out[k] = layouts[k].fromTf(onHost(v));
        return out;
      },
      release: () => opt.dispose(),
      async stepPeakBytes() {
        return (await tf.profile(() => void step())).peakBytes;
      },
    };
  };

  /** A prepared call whose result is the tensor it returns, as `name`. */
  const readsResult = (run: () => T, name: string): Prepared => ({
    step() {
      const r = run();
      r.dataSync();
      r.dispose();
    },
    result() {
      const r = run();
      const out = { [name]: onHost(r) };
      r.dispose();
      return out;
    },
  });

  return {
    name: "TF.js 4.22",
    heldBytes: () => tf.memory().numBytes,
    detail: config.backend === "wasm"
      ? "wasm (XNNPACK SIMD), 1 thread"
      : "cpu (plain JS), 1 thread",
    prepare(c: BenchCase, inputs: Inputs): Promise<Prepared | NotAvailable> {
      switch (c.kind) {
        case "gemm": {
          const a = tensor(inputs.a), b = tensor(inputs.b);
          return Promise.resolve(readsResult(() => tf.matMul(a as any, b as any), "c"));
        }
        case "mlp": {
          const x = tensor(inputs.x), y = tensor(inputs.y);
          const loss = (p: Record<string, T>) => {
            const h = tf.relu(tf.add(tf.matMul(x as any, p.w1 as any), p.b1));
            return softmaxNll(tf.add(tf.matMul(h, p.w2 as any), p.b2), y);
          };
          const layouts = { w1: sameLayout, b1: sameLayout, w2: sameLayout, b2: sameLayout };
          return Promise.resolve(trainLoop(loss, inputs, layouts));
        }
        case "convnet": {
          const n = c.batch;
          const x = tensor(permute(inputs.x, [0, 2, 3, 1])), y = tensor(inputs.y);
          const layouts: Record<string, Layout> = {
            c1w: hwio,
            c1b: sameLayout,
            c2w: hwio,
            c2b: sameLayout,
            f1w: { toTf: (t) => nhwcRows(t, 20, 4, 4), fromTf: (t) => nchwRows(t, 20, 4, 4) },
            f1b: sameLayout,
            f2w: sameLayout,
            f2b: sameLayout,
          };
          const pool = (h: T) => tf.maxPool(h as T4, 2, 2, "valid");
          const loss = (p: Record<string, T>) => {
            let h = tf.add(conv1(x, p.c1w), p.c1b);
            h = tf.relu(pool(h));
            h = tf.add(conv2(h, p.c2w), p.c2b);
            h = tf.reshape(tf.relu(pool(h)), [n, 320]);
            h = tf.relu(tf.add(tf.matMul(h as any, p.f1w as any), p.f1b));
            return softmaxNll(tf.add(tf.matMul(h as any, p.f2w as any), p.f2b), y);
          };
          const prepared = trainLoop(loss, inputs, layouts);
          if (viaForward) prepared.note = "filter grad = conv2d via tf.customGrad";
          return Promise.resolve(prepared);
        }
        case "lstm": {
          const { seq: t, batch: b, hidden: h, vocab: v } = c;
          const batchMajor = (x: HostTensor) => permute(x, [1, 0, 2]);
          const x = tensor(batchMajor(inputs.x));
          const y = tf.reshape(tensor(batchMajor(inputs.y)), [b * t, v]);
          // Keras's LSTM keeps the gates in the order i, f, c, o, as the case does.
          const lstm = tf.layers.lstm({
            units: h,
            returnSequences: true,
            recurrentActivation: "sigmoid",
            unitForgetBias: false,
            // Overwritten with the case's weights below (its default orthogonal init is slow).
            kernelInitializer: "zeros",
            recurrentInitializer: "zeros",
          });
          // Built by a first call (build() alone leaves the layer unbuilt, so apply builds again).
          tf.tidy(() => void lstm.apply(x));
          const [wx, wh, bias] = lstm.trainableWeights.map((w) => w.read() as TF.Variable);
          const p = {
            wx,
            wh,
            b: bias,
            wy: tf.variable(tensor(inputs.wy)),
            by: tf.variable(tensor(inputs.by)),
          };
          const loss = () => {
            const hs = lstm.apply(x, { training: true }) as T;
            const logits = tf.add(tf.matMul(tf.reshape(hs, [b * t, h]) as any, p.wy as any), p.by);
            return softmaxNll(logits, y);
          };
          for (const [k, w] of Object.entries(p)) tf.tidy(() => w.assign(tensor(inputs[k])));
          const layouts = Object.fromEntries(Object.keys(p).map((k) => [k, sameLayout]));
          const prepared = variablesLoop(loss, p, inputs, layouts);
          prepared.note = "tf.layers.lstm";
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
            }), "x"));
        }
      }
    },
  };
}
