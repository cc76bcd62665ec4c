/**
 * WebGPU against a CPU backend, side by side in one run: gemm throughput and the MNIST convnet's
 * training step, so that a machine with a real GPU can report the ratio.
 *
 *   deno run --allow-read --allow-env bench/webgpu.ts [--batch 64] [--steps 5] [--sizes 128,256,512]
 *
 * The CPU side is the wasm backend when kernels/wasm/backend.ts exists and registers itself,
 * otherwise the default backend (ref). Times include reading the result back, as a training loop
 * that logs its loss does; the read latency alone is reported on its own line. "speedup" is how
 * many times faster webgpu is (above 1: webgpu wins).
 * @module
 */
import {
  type Array,
  ConcreteArray,
  defaultBackendName,
  getBackend,
  initWebGPU,
  jit,
  lax,
  numpy as np,
  setDefaultBackend,
  tree,
  valueAndGrad,
} from "../mod.ts";
import { webgpuRuntime } from "../kernels/webgpu/init.ts";

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

function uniform(shape: number[], scale: number, rand: () => number, backend: string): Array {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = (2 * rand() - 1) * scale;
  return ConcreteArray.fromHost(data, shape, "float32", backend);
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

type ConvParams = Record<"c1w" | "c1b" | "c2w" | "c2b" | "f1w" | "f1b" | "f2w" | "f2b", Array>;

/** The lecture's MNIST convnet: two 5x5 conv + max-pool + relu blocks, then 320-50-10 dense. */
function convnetLoss(p: ConvParams, x: Array, y: Array): Array {
  const n = x.shape[0];
  const pool = (h: Array) => lax.reduceWindow(h, "max", [1, 1, 2, 2], [1, 1, 2, 2]);
  let h = np.relu(pool(lax.conv(x, p.c1w).add(p.c1b.reshape([1, 10, 1, 1]))));
  h = np.relu(pool(lax.conv(h, p.c2w).add(p.c2b.reshape([1, 20, 1, 1])))).reshape([n, 320]);
  h = np.relu(h.matmul(p.f1w).add(p.f1b));
  const logits = h.matmul(p.f2w).add(p.f2b);
  return np.mean(np.sum(logits.sub(np.logsumexp(logits, 1, true)).mul(y), 1)).neg();
}

const sgdStep = jit((p: ConvParams, x: Array, y: Array): [Array, ConvParams] => {
  const [loss, g] = valueAndGrad(convnetLoss)(p, x, y);
  return [loss, tree.map((w: Array, gw: Array) => w.sub(gw.mul(0.01)), p, g) as ConvParams];
});

/** Milliseconds per training step (loss read every step) on `backend`, after one warm-up step. */
async function convnetStep(backend: string, batch: number, steps: number): Promise<number> {
  const rand = prng(1);
  const w = (shape: number[], fanIn: number) => uniform(shape, 1 / Math.sqrt(fanIn), rand, backend);
  let p: ConvParams = {
    c1w: w([10, 1, 5, 5], 25),
    c1b: w([10], 25),
    c2w: w([20, 10, 5, 5], 250),
    c2b: w([20], 250),
    f1w: w([320, 50], 320),
    f1b: w([50], 320),
    f2w: w([50, 10], 50),
    f2b: w([10], 50),
  };
  const x = uniform([batch, 1, 28, 28], 1, rand, backend);
  const labels = new Float32Array(batch * 10);
  for (let i = 0; i < batch; i++) labels[i * 10 + (i % 10)] = 1;
  const y = ConcreteArray.fromHost(labels, [batch, 10], "float32", backend);
  const step = async () => {
    const [loss, next] = sgdStep(p, x, y);
    p = next;
    return (await loss.read())[0];
  };
  await step();
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
  const row = (label: string, g: number, c: number, speedup: number) =>
    console.log(
      `${label.padEnd(36)}${fmt(g).padStart(12)}${fmt(c).padStart(12)}${fmt(speedup).padStart(10)}`,
    );

  const latency = await withDefault("webgpu", async () => {
    const x = np.ones([4]).add(1);
    await x.read();
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) await x.read();
    return (performance.now() - t0) / 20;
  });
  console.log(`${"read of 4 floats (ms)".padEnd(36)}${fmt(latency).padStart(12)}`);

  for (const n of s.sizes) {
    const gflops = async (backend: string) =>
      await withDefault(backend, async () => {
        const rand = prng(n);
        const a = uniform([n, n], 1, rand, backend), b = uniform([n, n], 1, rand, backend);
        return 2 * n ** 3 / (await timePerCall(() => a.matmul(b))) / 1e9;
      });
    const [g, c] = [await gflops("webgpu"), await gflops(cpu)];
    row(`gemm ${n}x${n} f32 (GFLOP/s)`, g, c, g / c);
  }

  const before = rt.launches;
  const g = await withDefault("webgpu", () => convnetStep("webgpu", s.batch, s.steps));
  const launches = (rt.launches - before) / (s.steps + 1);
  const created = rt.pool.created;
  await withDefault("webgpu", () => convnetStep("webgpu", s.batch, s.steps));
  const perStep = (rt.pool.created - created) / (s.steps + 1);
  const c = await withDefault(cpu, () => convnetStep(cpu, s.batch, s.steps));
  row(`convnet step, batch ${s.batch} (ms)`, g, c, c / g);
  console.log(
    `webgpu: ${launches.toFixed(0)} kernel launches per step, ${rt.pipelineCount} pipelines ` +
      `compiled, ${perStep.toFixed(1)} GPU buffers created per step once warm`,
  );
}

await main();
