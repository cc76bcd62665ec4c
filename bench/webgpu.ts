/**
 * WebGPU against a CPU backend, side by side in one run: gemm throughput and the MNIST convnet's
 * training step, so that a machine with a real GPU can report the ratio.
 *
 *   deno run --allow-read --allow-env bench/webgpu.ts [--batch 64] [--steps 5] \
 *     [--sizes 128,256,512]
 *
 * The CPU side is the wasm backend when kernels/wasm/backend.ts exists and registers itself,
 * otherwise the default backend (ref). Times include reading the result back, as a training loop
 * that logs its loss does; the read latency alone is reported on its own line. "speedup" is how
 * many times faster webgpu is (above 1: webgpu wins). Before timing, each backend's gemm product
 * and first training step (loss and the gradients its update implies) are checked against the
 * ref backend in float64 (check.ts); a case that disagrees prints the difference instead of a
 * time, and the script exits with status 1.
 * @module
 */
import {
  type Array,
  ConcreteArray,
  defaultBackendName,
  getBackend,
  initWebGPU,
  jit,
  numpy as np,
  setDefaultBackend,
} from "../mod.ts";
import { webgpuRuntime } from "../kernels/webgpu/init.ts";
import { type BenchCase, caseInputs, type HostTensor } from "./cases.ts";
import { checkCase, compareOutputs, describeComparison, type Outputs } from "./check.ts";
import { convnetLoss, type ConvParams, sgdStep } from "./models.ts";
import { referenceDotGeneral, referenceOutputs } from "./reference.ts";

/** Command-line settings. */
interface Settings {
  batch: number;
  steps: number;
  sizes: number[];
}

function settings(args: string[]): Settings {
  const get = (name: string, fallback: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
  };
  return {
    batch: Number(get("batch", "64")),
    steps: Number(get("steps", "5")),
    sizes: get("sizes", "128,256,512").split(",").map(Number),
  };
}

/** mulberry32: deterministic inputs, identical on both backends. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uniform(shape: number[], rand: () => number): HostTensor {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = 2 * rand() - 1;
  return { data, shape };
}

const onBackend = (t: HostTensor, backend: string): Array =>
  ConcreteArray.fromHost(t.data, t.shape, "float32", backend);

/** Reads arrays back as outputs. */
async function outputs(named: Record<string, Array>): Promise<Outputs> {
  const out: Outputs = {};
  for (const [k, v] of Object.entries(named)) {
    out[k] = { data: await v.read(), shape: [...v.shape] };
  }
  return out;
}

/** The CPU backend to compare with: wasm if it can be loaded, else the default. */
async function cpuBackend(): Promise<string> {
  const url = new URL("../kernels/wasm/backend.ts", import.meta.url).href;
  try {
    const mod = await import(url);
    if (mod.ready?.then) await mod.ready;
    getBackend("wasm");
    return "wasm";
  } catch {
    return defaultBackendName();
  }
}

/** Seconds per call of `run`, whose result is read after `reps` calls (median of 3 rounds). */
async function timePerCall(run: () => Array, minSeconds = 0.3): Promise<number> {
  await run().read();
  let reps = 1;
  const rounds: number[] = [];
  while (rounds.length < 3) {
    const t0 = performance.now();
    let last: Array | undefined;
    for (let i = 0; i < reps; i++) last = run();
    await last!.read();
    const s = (performance.now() - t0) / 1000;
    if (s < minSeconds / 3 && reps < 1024) {
      reps *= 2;
      continue;
    }
    rounds.push(s / reps);
  }
  return rounds.sort((a, b) => a - b)[1];
}

/**
 * The jitted step, compiled before its first call returns (`compile: "sync"`), so that the checked
 * and the timed calls run the compiled program, not the op-by-op fallback of a pending compile.
 */
const trainStep = jit(sgdStep(convnetLoss), { compile: "sync" });

/**
 * Milliseconds per training step (loss read every step) on `backend`, after one warm-up step, or
 * the mismatch text if that first step disagrees with `reference`.
 */
async function convnetStep(
  backend: string,
  c: BenchCase,
  inputs: Record<string, HostTensor>,
  reference: Outputs,
  steps: number,
): Promise<number | string> {
  const { x: hx, y: hy, ...hp } = inputs;
  const x = onBackend(hx, backend), y = onBackend(hy, backend);
  let p = Object.fromEntries(
    Object.entries(hp).map(([k, t]) => [k, onBackend(t, backend)]),
  ) as ConvParams;
  const [loss0, p1] = trainStep(p, x, y);
  const check = checkCase(c, inputs, await outputs({ loss: loss0, ...p1 }), reference);
  if (!check.ok) return describeComparison(check);
  p = p1;
  const step = async () => {
    const [loss, next] = trainStep(p, x, y);
    p = next;
    return (await loss.read())[0];
  };
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await step();
  return (performance.now() - t0) / steps;
}

function withDefault<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const prev = defaultBackendName();
  setDefaultBackend(name);
  return fn().finally(() => setDefaultBackend(prev));
}

const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toPrecision(3));

async function main(): Promise<void> {
  const s = settings(Deno.args);
  const gpu = await initWebGPU();
  if (!gpu) {
    console.log("bench/webgpu: no WebGPU adapter in this runtime; nothing to measure");
    return;
  }
  const rt = webgpuRuntime()!;
  const cpu = await cpuBackend();
  const info = (rt.device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  console.log(`WebGPU device: ${info?.description || info?.vendor || "unknown"}`);
  console.log(
    `${"case".padEnd(36)}${"webgpu".padStart(12)}${cpu.padStart(12)}${"speedup".padStart(10)}`,
  );
  let mismatches = 0;
  const cell = (v: number | string) => (typeof v === "number" ? fmt(v) : "MISMATCH");
  const row = (label: string, g: number | string, c: number | string, speedup: () => number) => {
    const both = typeof g === "number" && typeof c === "number";
    console.log(
      `${label.padEnd(36)}${cell(g).padStart(12)}${cell(c).padStart(12)}${
        (both ? fmt(speedup()) : "").padStart(10)
      }`,
    );
    for (const [name, v] of [["webgpu", g], [cpu, c]]) {
      if (typeof v === "string") {
        mismatches++;
        console.log(`  ${name}: ${v}`);
      }
    }
  };

  const latency = await withDefault("webgpu", async () => {
    const x = np.ones([4]).add(1);
    await x.read();
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) await x.read();
    return (performance.now() - t0) / 20;
  });
  console.log(`${"read of 4 floats (ms)".padEnd(36)}${fmt(latency).padStart(12)}`);

  for (const n of s.sizes) {
    const rand = prng(n);
    const ha = uniform([n, n], rand), hb = uniform([n, n], rand);
    const reference = await referenceDotGeneral(ha, hb, [[[1], [0]], [[], []]]);
    const gflops = async (backend: string) =>
      await withDefault(backend, async () => {
        const a = onBackend(ha, backend), b = onBackend(hb, backend);
        const check = compareOutputs(await outputs({ c: a.matmul(b) }), reference);
        if (!check.ok) return describeComparison(check);
        return 2 * n ** 3 / (await timePerCall(() => a.matmul(b))) / 1e9;
      });
    const [g, c] = [await gflops("webgpu"), await gflops(cpu)];
    row(`gemm ${n}x${n} f32 (GFLOP/s)`, g, c, () => (g as number) / (c as number));
  }

  const convnet: BenchCase = { kind: "convnet", batch: s.batch };
  const inputs = caseInputs(convnet);
  const reference = await referenceOutputs(convnet, inputs);
  const stepOn = (backend: string) =>
    withDefault(backend, () => convnetStep(backend, convnet, inputs, reference, s.steps));
  const before = rt.launches;
  const g = await stepOn("webgpu");
  const launches = (rt.launches - before) / (s.steps + 1);
  const created = rt.pool.created;
  await stepOn("webgpu");
  const perStep = (rt.pool.created - created) / (s.steps + 1);
  const c = await stepOn(cpu);
  row(`convnet step, batch ${s.batch} (ms)`, g, c, () => (c as number) / (g as number));
  if (typeof g === "number") {
    console.log(
      `webgpu: ${launches.toFixed(0)} kernel launches per step, ${rt.pipelineCount} pipelines ` +
        `compiled, ${perStep.toFixed(1)} GPU buffers created per step once warm`,
    );
  }
  if (mismatches > 0) {
    console.log(`${mismatches} result(s) disagreed with the ref backend and were not timed`);
    Deno.exitCode = 1;
  }
}

await main();
