/**
 * gemm throughput of the wasm backend with one thread and with every thread, in GFLOP/s (median
 * of timed runs after warm-up): float32 n x n products, split by rows over the threads; the
 * lecture convnet's two forward products (few rows: its output channels, split by columns); and
 * its two filter gradients (small outputs of great depth, split by depth). Each product is first
 * checked against the ref backend in float64 (check.ts), on each thread count; one that
 * disagrees shows the difference instead of a throughput and the script exits with status 1.
 *
 * Run with `deno run --allow-read bench/gemm_threads.ts [n...]` (default 256 512 1024).
 * @module
 */
import { ConcreteArray, lax, setThreads } from "../mod.ts";
import type { HostTensor } from "./cases.ts";
import { compareOutputs, describeComparison, type Outputs } from "./check.ts";
import { referenceDotGeneral } from "./reference.ts";

const REPS = 10;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** A product `a · b` (contracting `dims`) and its multiply-add count. */
interface Product {
  name: string;
  a: number[];
  b: number[];
  dims: [[number[], number[]], [number[], number[]]];
  flops: number;
}

function square(n: number): Product {
  return {
    name: `${n}x${n}x${n}`,
    a: [n, n],
    b: [n, n],
    dims: [[[1], [0]], [[], []]],
    flops: 2 * n ** 3,
  };
}

/**
 * A convolution's forward product, filters first, as lax.conv lays it out: `[m, k] · [n, k]ᵀ`
 * (n: batch and space, k: the window, contiguous in the patches).
 */
function convForward(name: string, m: number, k: number, n: number): Product {
  return { name, a: [m, k], b: [n, k], dims: [[[1], [1]], [[], []]], flops: 2 * m * n * k };
}

/** A filter gradient: `[k, m]ᵀ · [k, n]` (batch and space as the depth k). */
function filterGradient(name: string, m: number, n: number, k: number): Product {
  return { name, a: [k, m], b: [k, n], dims: [[[0], [0]], [[], []]], flops: 2 * m * n * k };
}

/** A float32 host tensor of uniform(-1, 1) values (a fixed linear congruential sequence). */
function random(shape: number[], seed: number): HostTensor {
  let s = seed;
  const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return 2 * (s / 2 ** 32) - 1;
  });
  return { data, shape };
}

/**
 * Median GFLOP/s of a product on `threads` threads, or the mismatch text if its result disagrees
 * with `reference`.
 */
async function gflops(
  p: Product,
  ha: HostTensor,
  hb: HostTensor,
  reference: Outputs,
  threads: number,
): Promise<number | string> {
  setThreads(threads);
  const a = ConcreteArray.fromHost(ha.data, ha.shape, "float32", "wasm");
  const b = ConcreteArray.fromHost(hb.data, hb.shape, "float32", "wasm");
  const result = lax.dotGeneral(a, b, p.dims);
  const check = compareOutputs(
    { c: { data: await result.read(), shape: [...result.shape] } },
    reference,
  );
  if (!check.ok) return describeComparison(check);
  const once = () => (lax.dotGeneral(a, b, p.dims) as ConcreteArray)[Symbol.dispose]();
  for (let i = 0; i < 3; i++) once();
  const times: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now();
    once();
    times.push(performance.now() - t0);
  }
  return p.flops / (median(times) * 1e6);
}

if (import.meta.main) {
  const sizes = Deno.args.length ? Deno.args.map(Number) : [256, 512, 1024];
  const products = [
    ...sizes.map(square),
    convForward("conv1 forward 10x25 · (36864x25)ᵀ", 10, 25, 36864),
    convForward("conv2 forward 20x250 · (4096x250)ᵀ", 20, 250, 4096),
    filterGradient("conv1 filter grad 10x25, depth 36864", 10, 25, 36864),
    filterGradient("conv2 filter grad 20x250, depth 4096", 20, 250, 4096),
  ];
  const all = navigator.hardwareConcurrency;
  const shown = (g: number | string) => (typeof g === "number" ? g.toFixed(1) : g);
  const rows = [];
  for (const p of products) {
    const ha = random(p.a, 1), hb = random(p.b, 2);
    const reference = await referenceDotGeneral(ha, hb, p.dims);
    const one = await gflops(p, ha, hb, reference, 1);
    const many = await gflops(p, ha, hb, reference, all);
    const bothRan = typeof one === "number" && typeof many === "number";
    if (!bothRan) Deno.exitCode = 1;
    rows.push({
      product: p.name,
      "1 thread": shown(one),
      [`${all} threads`]: shown(many),
      speedup: bothRan ? (many / one).toFixed(2) : "",
      "check vs ref": bothRan ? "ok" : "MISMATCH",
    });
  }
  console.table(rows);
}
