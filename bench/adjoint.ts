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
  setDefaultBackend,
  wasmMemoryStats,
} from "../mod.ts";
import type { BenchCase, HostTensor, Inputs } from "./cases.ts";
import type { Outputs } from "./check.ts";
import type { Contender, NotAvailable, Prepared } from "./contender.ts";
import { isNotAvailable, reason } from "./contender.ts";
import { convnetLoss, lstmLoss, mlpLoss, sgdStep } from "./models.ts";
import type { Loop } from "../examples/char_rnn.ts";

/** Which Adjoint configuration to benchmark. */
export interface AdjointConfig {
  /** Backend name. */
  backend: "ref" | "wasm";
  /**
   * Worker threads for kernels (`"all"`: the core count, fixed; `"auto"`: adapted to the load);
   * ignored by `ref`.
   */
  threads?: number | "all" | "auto";
  /** Largest gemm size to run (ref is plain TypeScript: large sizes take seconds per call). */
  maxGemm?: number;
  /** Largest LSTM state size to run (as `maxGemm`). */
  maxLstmHidden?: number;
  /** How the LSTM case runs its recurrence: `lax.scan` (default) or unrolled in JavaScript. */
  loop?: Loop;
}

/** What loading the wasm backend gives: how to set its thread count, if it has threads. */
interface WasmRuntime {
  setThreads?: (n: number | "auto") => void;
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

/** Reads arrays back as outputs. */
async function outputs(named: Record<string, Array>): Promise<Outputs> {
  const out: Outputs = {};
  for (const [k, v] of Object.entries(named)) {
    out[k] = { data: await v.read(), shape: [...v.shape] };
  }
  return out;
}

/** A training step's outputs: its loss and its updated parameters. */
function stepOutputs([loss, p]: [Array, Record<string, Array>]): Promise<Outputs> {
  return outputs({ loss, ...p });
}

type Step = (p: any, x: Array, y: Array) => [Array, any];

/**
 * A prepared training loop: each step feeds the updated parameters back, so a step costs what a
 * real training step costs. `fresh` makes a new copy of the initial parameters (the step may
 * consume its argument).
 */
function trainLoop(step: Step, fresh: () => Record<string, Array>, x: Array, y: Array): Prepared {
  let p = fresh();
  const prepared: Prepared = {
    async step() {
      const [loss, next] = step(p, x, y);
      p = next;
      await loss.read();
    },
    result: () => stepOutputs(step(fresh(), x, y)),
  };
  return withStepMemory(prepared, x);
}

/**
 * `prepared` with the wasm allocator's peak over one step, when `x` is on the wasm backend (the
 * ref backend does not count its memory).
 */
function withStepMemory(prepared: Prepared, x: Array): Prepared {
  if ((x as ConcreteArray).backend.name !== "wasm") return prepared;
  return {
    ...prepared,
    async stepPeakBytes() {
      wasmMemoryStats({ resetPeak: true });
      await prepared.step();
      return wasmMemoryStats().peakLiveBytes;
    },
  };
}

/** A prepared call whose result is the array it returns, as `name`. */
function readsResult(run: () => Array, name: string): Prepared {
  return {
    async step() {
      await run().read();
    },
    result: () => outputs({ [name]: run() }),
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
  const loop = config.loop ?? "scan";
  const backendDetail = config.backend === "ref"
    ? "ref (plain TS), 1 thread"
    : isNotAvailable(runtime)
    ? "wasm"
    : canThread
    ? `wasm, ${threads ?? "default"} thread(s)`
    : "wasm, main thread (no setThreads)";
  const detail = config.loop === undefined ? backendDetail : `${backendDetail}; ${loop}`;
  const backend = config.backend;
  const arr = (t: HostTensor): Array => ConcreteArray.fromHost(t.data, t.shape, "float32", backend);

  return {
    name: "Adjoint",
    detail,
    heldBytes: backend === "wasm" ? () => wasmMemoryStats().liveBytes : undefined,
    activate() {
      if (isNotAvailable(runtime)) return;
      setDefaultBackend(backend);
      if (canThread && threads !== undefined) runtime.setThreads!(threads);
    },
    prepare(c: BenchCase, inputs: Inputs): Promise<Prepared | NotAvailable> {
      if (isNotAvailable(runtime)) return Promise.resolve(runtime);
      const { x: hx, y: hy, ...hp } = inputs;
      const fresh = () => Object.fromEntries(Object.entries(hp).map(([k, t]) => [k, arr(t)]));
      switch (c.kind) {
        case "gemm": {
          if (config.maxGemm !== undefined && c.n > config.maxGemm) {
            return Promise.resolve({
              na: `skipped: ${backend} gemm above n=${config.maxGemm} takes seconds per call`,
            });
          }
          const a = arr(inputs.a), b = arr(inputs.b);
          return Promise.resolve(readsResult(() => a.matmul(b), "c"));
        }
        case "mlp":
          return Promise.resolve(trainLoop(jitStep(sgdStep(mlpLoss)), fresh, arr(hx), arr(hy)));
        case "convnet":
          return Promise.resolve(
            trainLoop(jitStep(sgdStep(convnetLoss)), fresh, arr(hx), arr(hy)),
          );
        case "lstm": {
          if (config.maxLstmHidden !== undefined && c.hidden > config.maxLstmHidden) {
            return Promise.resolve({
              na: `skipped: ${backend} LSTM above hidden ${config.maxLstmHidden} takes seconds ` +
                `per call`,
            });
          }
          const step = jitStep(sgdStep(lstmLoss(loop)));
          return Promise.resolve(trainLoop(step, fresh, arr(hx), arr(hy)));
        }
        case "jitFresh": {
          const x = arr(hx), y = arr(hy), p = fresh();
          const fn = sgdStep(mlpLoss);
          return Promise.resolve({
            async step() {
              await jitSync(fn)(p, x, y)[0].read();
            },
            result: () => stepOutputs(jitSync(fn)(p, x, y)),
          });
        }
        case "eager": {
          const x0 = arr(hx), y = arr(hy);
          return Promise.resolve(readsResult(() => {
            let x = x0;
            for (let i = 0; i < c.ops; i++) x = x.add(y);
            return x;
          }, "x"));
        }
      }
    },
  };
}
