/**
 * Adjoint as a benchmark contender, on a named backend and thread count. Runs in the runner's
 * process: the backend and thread count are made current before every sample (`activate`).
 *
 * The `wasm` backend is loaded from kernels/wasm/backend.ts when that file exists; until then its
 * rows read "n/a".
 * @module
 */
import {
  type Array,
  ConcreteArray,
  getBackend,
  jit,
  type JitOptions,
  type Jitted,
  lax,
  numpy as np,
  setDefaultBackend,
  tree,
  valueAndGrad,
} from "../mod.ts";
import {
  type BenchCase,
  checksum,
  type HostTensor,
  type Inputs,
  learningRate,
  LossLog,
} from "./cases.ts";
import type { Contender, NotAvailable, Prepared } from "./contender.ts";
import { isNotAvailable, reason } from "./contender.ts";

/** Which Adjoint configuration to benchmark. */
export interface AdjointConfig {
  /** Backend name. */
  backend: "ref" | "wasm";
  /** Worker threads for kernels (`"all"`: the core count); ignored by `ref`. */
  threads?: number | "all";
  /** Largest gemm size to run (ref is plain TypeScript: large sizes take seconds per call). */
  maxGemm?: number;
}

type MlpParams = { w1: Array; b1: Array; w2: Array; b2: Array };
type ConvParams = {
  c1w: Array;
  c1b: Array;
  c2w: Array;
  c2b: Array;
  f1w: Array;
  f1b: Array;
  f2w: Array;
  f2b: Array;
};

/** What loading the wasm backend gives: how to set its thread count, if it has threads. */
interface WasmRuntime {
  setThreads?: (n: number) => void;
}

let wasmRuntime: Promise<WasmRuntime | NotAvailable> | undefined;

/** Whether a backend name is registered. */
function hasBackend(name: string): boolean {
  try {
    getBackend(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * Imports kernels/wasm/backend.ts (once; importing it registers the backend) and looks for a
 * `setThreads` exported by it or by mod.ts.
 */
function loadWasm(): Promise<WasmRuntime | NotAvailable> {
  wasmRuntime ??= (async () => {
    const url = new URL("../kernels/wasm/backend.ts", import.meta.url);
    try {
      await Deno.stat(url);
    } catch {
      return { na: "kernels/wasm/backend.ts does not exist yet" };
    }
    try {
      const mod = await import(url.href);
      if (!hasBackend("wasm")) return { na: "kernels/wasm/backend.ts registered no wasm backend" };
      const api = await import("../mod.ts") as Record<string, unknown>;
      const setThreads = (mod.setThreads ?? api.setThreads) as WasmRuntime["setThreads"];
      return { setThreads };
    } catch (e) {
      return { na: `wasm backend failed to load: ${reason(e)}` };
    }
  })();
  return wasmRuntime;
}

/**
 * `jit` asking for synchronous compilation (issue 3's `compile: "sync"`), so that timed calls run
 * the compiled program rather than the op-by-op fallback used while a compile is pending. Backends
 * without compilation ignore the option.
 */
function jitSync(f: (...args: any[]) => any): Jitted {
  return jit(f, { compile: "sync" } as JitOptions);
}

/**
 * A jitted training step that consumes its parameters (`donateArgnums: [0]`), as a training loop
 * would write it, and as jax-js's steps consume theirs (its arrays are reference counted).
 */
function jitStep(f: (...args: any[]) => any): Jitted {
  return jit(f, { compile: "sync", donateArgnums: [0] } as JitOptions);
}

function mlpLoss(p: MlpParams, x: Array, y: Array): Array {
  const h = np.relu(x.matmul(p.w1).add(p.b1));
  const logits = h.matmul(p.w2).add(p.b2);
  const logp = logits.sub(np.logsumexp(logits, 1, true));
  return np.mean(np.sum(logp.mul(y), 1)).neg();
}

function maxPool2(h: Array): Array {
  return lax.reduceWindow(h, "max", [1, 1, 2, 2], [1, 1, 2, 2]);
}

function convnetLoss(p: ConvParams, x: Array, y: Array): Array {
  const n = x.shape[0];
  let h = lax.conv(x, p.c1w).add(p.c1b.reshape([1, 10, 1, 1]));
  h = np.relu(maxPool2(h));
  h = lax.conv(h, p.c2w).add(p.c2b.reshape([1, 20, 1, 1]));
  h = np.relu(maxPool2(h)).reshape([n, 320]);
  h = np.relu(h.matmul(p.f1w).add(p.f1b));
  const logits = h.matmul(p.f2w).add(p.f2b);
  const logp = logits.sub(np.logsumexp(logits, 1, true));
  return np.mean(np.sum(logp.mul(y), 1)).neg();
}

/** An SGD training step of `loss` over params `p`: returns `[loss, updated params]`. */
function sgdStep<P>(loss: (p: P, x: Array, y: Array) => Array) {
  return (p: P, x: Array, y: Array): [Array, P] => {
    const [l, g] = valueAndGrad(loss)(p, x, y);
    const updated = tree.map((w: Array, gw: Array) => w.sub(gw.mul(learningRate)), p as any, g);
    return [l, updated as P];
  };
}

/**
 * A prepared training loop: each step feeds the updated parameters back, so a step costs what a
 * real training step costs.
 */
function trainLoop<P>(
  step: (p: P, x: Array, y: Array) => [Array, P],
  p0: P,
  x: Array,
  y: Array,
): Prepared {
  let p = p0;
  const log = new LossLog();
  return {
    async step() {
      const [loss, next] = step(p, x, y);
      p = next;
      log.push((await loss.read())[0]);
    },
    check: () => log.check(),
  };
}

/** A prepared call whose check value is the checksum of its last result's first `count` entries. */
function readsResult(run: () => Array, count: number): Prepared {
  let last: ArrayLike<number> = [];
  return {
    async step() {
      last = await run().read();
    },
    check: () => checksum(last, count),
  };
}

/** Whether the wasm backend loads and has a thread count to set. */
export async function wasmThreading(): Promise<boolean> {
  const runtime = await loadWasm();
  return !isNotAvailable(runtime) && runtime.setThreads !== undefined;
}

/** Adjoint on one backend and thread count. */
export async function createAdjoint(config: AdjointConfig): Promise<Contender> {
  const runtime: WasmRuntime | NotAvailable = config.backend === "wasm" ? await loadWasm() : {};
  const threads = config.threads === "all" ? navigator.hardwareConcurrency : config.threads;
  const canThread = !isNotAvailable(runtime) && runtime.setThreads !== undefined;
  const detail = config.backend === "ref"
    ? "ref (plain TS), 1 thread"
    : isNotAvailable(runtime)
    ? "wasm"
    : canThread
    ? `wasm, ${threads ?? "default"} thread(s)`
    : "wasm, main thread (no setThreads)";
  const backend = config.backend;
  const arr = (t: HostTensor): Array => ConcreteArray.fromHost(t.data, t.shape, "float32", backend);

  return {
    name: "Adjoint",
    detail,
    activate() {
      if (isNotAvailable(runtime)) return;
      setDefaultBackend(backend);
      if (canThread && threads !== undefined) runtime.setThreads!(threads);
    },
    prepare(c: BenchCase, inputs: Inputs): Promise<Prepared | NotAvailable> {
      if (isNotAvailable(runtime)) return Promise.resolve(runtime);
      const a: Record<string, Array> = {};
      for (const [k, t] of Object.entries(inputs)) a[k] = arr(t);
      switch (c.kind) {
        case "gemm": {
          if (config.maxGemm !== undefined && c.n > config.maxGemm) {
            return Promise.resolve({
              na: `skipped: ${backend} gemm above n=${config.maxGemm} takes seconds per call`,
            });
          }
          return Promise.resolve(readsResult(() => np.matmul(a.a, a.b), c.n));
        }
        case "mlp": {
          const { x, y, ...p } = a;
          return Promise.resolve(trainLoop(jitStep(sgdStep(mlpLoss)), p as MlpParams, x, y));
        }
        case "convnet": {
          const { x, y, ...p } = a;
          return Promise.resolve(trainLoop(jitStep(sgdStep(convnetLoss)), p as ConvParams, x, y));
        }
        case "jitFresh": {
          const { x, y, ...p } = a;
          const fn = sgdStep(mlpLoss);
          return Promise.resolve(readsResult(() => jitSync(fn)(p as MlpParams, x, y)[0], 1));
        }
        case "eager":
          return Promise.resolve(readsResult(() => {
            let x = a.x;
            for (let i = 0; i < c.ops; i++) x = x.add(a.y);
            return x;
          }, c.size));
      }
    },
  };
}
