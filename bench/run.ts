/**
 * `deno task bench`: Adjoint side by side with jax-js and TensorFlow.js, in one run, on the same
 * inputs (and, for jit, Adjoint's first call in new processes, jit_new_process.ts). For each case
 * every contender is prepared, checked and warmed up, then sampled in interleaved rounds (one
 * sample per contender per round) so that load from other processes on this shared machine hits
 * all rows alike; each row reports its median, interquartile spread and ratio to the baseline
 * row (marked `*`).
 *
 *   deno task bench
 *   deno run --allow-read --allow-write --allow-env --allow-sys=loadavg --allow-run=deno \
 *     bench/run.ts [--quick] [--only=gemm,mlp,...]
 *
 * Before a contender is timed on a case, its result is checked against Adjoint's `ref` backend
 * (check.ts, reference.ts); a row that disagrees shows the difference and no time, and the run
 * ends with a list of such rows and exit status 1.
 *
 * `--only` takes case families: jit, gemm, mlp, convnet, eager, lstm, load (the convnet step
 * beside competing processes on 1, 2 and auto threads, threads_load.ts) and compile (the LSTM
 * step's compile time against its sequence length, scan and unrolled, compile_time.ts).
 * `--quick` runs small sizes and samples briefly (a smoke test of the harness and the checks, not numbers to quote). Write
 * access is for Adjoint's compile cache, pointed at a fresh temporary folder for the run unless
 * `ADJOINT_CACHE_DIR` is set.
 *
 * Adjoint runs in this process; every peer configuration runs in a worker of its own (isolate.ts).
 * @module
 */
import { createAdjoint, wasmThreading } from "./adjoint.ts";
import { type BenchCase, caseInputs, caseLabel, type Inputs } from "./cases.ts";
import { checkCase, describeComparison, float32Tolerance, type Outputs } from "./check.ts";
import { type Host, isNotAvailable, localHost, reason, type Runner } from "./contender.ts";
import { isolateHost } from "./isolate.ts";
import { newProcessJitLine } from "./jit_new_process.ts";
import { type CaseResult, type CellResult, formatCase, wasmPeakGflops } from "./report.ts";
import { referenceOutputs } from "./reference.ts";
import { checkTargets } from "./targets.ts";
import { threadsLoad } from "./threads_load.ts";
import { compileTimeTable } from "./compile_time.ts";
import { lstmProductsLine } from "./lstm_products.ts";
import { wasmThreading as threadsInEffect } from "../mod.ts";
import { defaultPlan, done, quickPlan, repsFor, type SamplingPlan, summarize } from "./timing.ts";

/** A host with the stable id that targets and baselines refer to. */
interface HostEntry {
  /** e.g. "adjoint-wasm-1", "jaxjs-all", "tfjs-wasm". */
  id: string;
  /** The host. */
  host: Host;
  /** The only case kinds it runs (default: all). */
  kinds?: BenchCase["kind"][];
}

/** The order in which rows appear and the row ratios divide by (first one that ran). */
const baselineOrder = ["adjoint-wasm-1", "adjoint-ref"];

/** A peer configuration, run in a worker of its own. */
interface PeerSpec {
  id: string;
  /** File under bench/peers/ and its exported factory. */
  file: string;
  factory: string;
  config: unknown;
  /** Name shown if the factory fails. */
  name: string;
  /** Only where the machine has more than one core. */
  multicore?: boolean;
}

const peers: PeerSpec[] = [
  {
    id: "jaxjs-1",
    file: "jaxjs.ts",
    factory: "createJaxJs",
    config: { threads: 1 },
    name: "jax-js",
  },
  {
    id: "jaxjs-all",
    file: "jaxjs.ts",
    factory: "createJaxJs",
    config: { threads: "all" },
    name: "jax-js",
    multicore: true,
  },
  {
    id: "tfjs-wasm",
    file: "tfjs.ts",
    factory: "createTfjs",
    config: { backend: "wasm", filterGradViaConv: true },
    name: "TF.js",
  },
  {
    id: "tfjs-cpu",
    file: "tfjs.ts",
    factory: "createTfjs",
    config: { backend: "cpu" },
    name: "TF.js",
  },
];

/** Starts every contender: Adjoint here, each peer configuration in its own worker. */
async function startHosts(): Promise<HostEntry[]> {
  const cores = navigator.hardwareConcurrency;
  const hosts: HostEntry[] = [];
  hosts.push({
    id: "adjoint-ref",
    host: localHost(await createAdjoint({ backend: "ref", maxGemm: 512, maxLstmHidden: 64 })),
  });
  const wasm1 = await createAdjoint({ backend: "wasm", threads: 1 });
  hosts.push({ id: "adjoint-wasm-1", host: localHost(wasm1) });
  // The LSTM with its recurrence unrolled in JavaScript, against the scan of the row above.
  const unrolled = await createAdjoint({ backend: "wasm", threads: 1, loop: "unrolled" });
  hosts.push({ id: "adjoint-wasm-1-unrolled", host: localHost(unrolled), kinds: ["lstm"] });
  if (cores > 1 && await wasmThreading()) {
    hosts.push({
      id: "adjoint-wasm-all",
      host: localHost(await createAdjoint({ backend: "wasm", threads: "all" })),
    });
  }
  for (const p of peers.filter((p) => cores > 1 || !p.multicore)) {
    console.error(`starting ${p.id}...`);
    const module = new URL(`./peers/${p.file}`, import.meta.url).href;
    const host = await isolateHost({ module, factory: p.factory, config: p.config }, p.name);
    hosts.push({ id: p.id, host });
  }
  return hosts;
}

/** A runner being sampled. */
interface Live {
  runner: Runner;
  reps: number;
  samples: number[];
  spentMs: number;
  /** At most this many samples (a very slow contender gets one). */
  cap: number;
  failed?: string;
}

/** Warms a runner up after its second call: single calls until `plan.warmupMs` (at least two). */
async function warmUp(runner: Runner, plan: SamplingPlan, secondMs: number): Promise<number> {
  let best = secondMs;
  let spent = secondMs;
  for (let i = 0; i < 2 || spent < plan.warmupMs; i++) {
    const ms = await runner.sample(1);
    best = Math.min(best, ms);
    spent += ms;
    if (i >= 2 && spent > 3 * plan.budgetMs) break;
  }
  return best;
}

/**
 * Prepares a case on a host (its first call timed), then checks its result against the reference
 * and, if it agrees, warms it up. The cell records why a contender will not be sampled: not
 * available, a mismatch, or a failure.
 */
async function prepareChecked(
  c: BenchCase,
  inputs: Inputs,
  reference: Outputs,
  { id, host }: HostEntry,
  plan: SamplingPlan,
): Promise<[CellResult, Live | undefined]> {
  console.error(`  ${id}: preparing`);
  const r = await host.prepare(c, inputs);
  const cell: CellResult = { id, name: host.name, detail: host.detail };
  if (isNotAvailable(r)) {
    cell.na = r.na;
    return [cell, undefined];
  }
  cell.firstMs = r.firstMs;
  cell.peakBytes = r.peakBytes;
  cell.note = r.note;
  try {
    cell.check = checkCase(c, inputs, await r.result(), reference);
    console.error(`  ${id}: ${describeComparison(cell.check)}`);
    if (!cell.check.ok) {
      await r.release();
      return [cell, undefined];
    }
    // The first call may compile; a contender whose second call is very slow gets that call
    // as its only sample.
    const secondMs = await r.sample(1);
    const slow = secondMs > plan.slowCallMs;
    const samples = slow ? [secondMs] : [];
    const callMs = slow ? secondMs : await warmUp(r, plan, secondMs);
    const live = {
      runner: r,
      reps: slow ? 1 : repsFor(plan, callMs),
      samples,
      spentMs: samples[0] ?? 0,
      cap: slow ? 1 : Infinity,
    };
    return [cell, live];
  } catch (e) {
    cell.na = reason(e);
    await r.release();
    return [cell, undefined];
  }
}

/**
 * Runs one case on every host: prepare, check against the reference, warm up; then interleaved
 * sampling of the contenders that agreed, and a summary.
 */
async function runCase(
  c: BenchCase,
  inputs: Inputs,
  reference: Outputs,
  hosts: HostEntry[],
  plan: SamplingPlan,
): Promise<CaseResult> {
  const cells: CellResult[] = [];
  const live: (Live | undefined)[] = [];
  for (const entry of hosts.filter((h) => !h.kinds || h.kinds.includes(c.kind))) {
    const [cell, l] = await prepareChecked(c, inputs, reference, entry, plan);
    cells.push(cell);
    live.push(l);
  }
  const pending = () =>
    live.filter((l): l is Live =>
      l !== undefined && !l.failed && l.samples.length < l.cap &&
      !done(plan, l.samples.length, l.spentMs)
    );
  while (pending().length > 0) {
    for (const l of pending()) {
      try {
        const ms = await l.runner.sample(l.reps);
        l.samples.push(ms);
        l.spentMs += ms * l.reps;
      } catch (e) {
        l.failed = reason(e);
      }
    }
  }
  for (let i = 0; i < cells.length; i++) {
    const l = live[i];
    if (!l) continue;
    if (l.failed) cells[i].na = `failed while sampling: ${l.failed}`;
    else cells[i].stats = summarize(l.samples, l.reps);
    await l.runner.release();
  }
  const baseline = baselineOrder
    .map((id) => cells.findIndex((cell) => cell.id === id && cell.stats))
    .find((i) => i >= 0);
  return { case: c, cells, baseline };
}

/**
 * The cases, in run order: jit first so that its first call is cold. `quick` shrinks them (a
 * smoke test of the harness and of the checks).
 */
function allCases(quick: boolean): [string, BenchCase][] {
  if (quick) {
    return [
      ["jit", { kind: "jitFresh", batch: 16 }],
      ["gemm", { kind: "gemm", n: 64 }],
      ["gemm", { kind: "gemm", n: 200 }],
      ["mlp", { kind: "mlp", batch: 16 }],
      ["convnet", { kind: "convnet", batch: 4 }],
      ["eager", { kind: "eager", ops: 100, size: 16 }],
      ["lstm", { kind: "lstm", seq: 8, batch: 4, hidden: 16, vocab: 16 }],
    ];
  }
  return [
    ["jit", { kind: "jitFresh", batch: 128 }],
    ["gemm", { kind: "gemm", n: 256 }],
    ["gemm", { kind: "gemm", n: 512 }],
    ["gemm", { kind: "gemm", n: 1024 }],
    ["mlp", { kind: "mlp", batch: 128 }],
    ["convnet", { kind: "convnet", batch: 64 }],
    ["eager", { kind: "eager", ops: 1000, size: 16 }],
    ["lstm", { kind: "lstm", seq: 64, batch: 32, hidden: 256, vocab: 64 }],
  ];
}

/** One line per contender of a case whose result disagreed with the reference. */
function caseMismatches(r: CaseResult): string[] {
  return r.cells.filter((cell) => cell.check && !cell.check.ok).map((cell) =>
    `${caseLabel(r.case)}, ${cell.name} (${cell.detail}): ${describeComparison(cell.check!)}`
  );
}

/** The closing summary of the result checks. */
function mismatchSummary(mismatches: string[]): string {
  if (mismatches.length === 0) {
    return "## result checks: every contender that ran agreed with the reference";
  }
  return [
    `## result checks: ${mismatches.length} MISMATCH(ES), not timed (exit status 1)`,
    ...mismatches.map((m) => `- ${m}`),
  ].join("\n");
}

/** The 1/5/15-minute load averages, or why they are unknown (needs `--allow-sys=loadavg`). */
function loadAverage(): string {
  try {
    return Deno.loadavg().map((l) => l.toFixed(2)).join(" / ");
  } catch {
    return "unknown (grant --allow-sys=loadavg)";
  }
}

/** The default thread setting of Adjoint's wasm kernels and the threads in effect now. */
function threadingLine(): string {
  const t = threadsInEffect();
  return `${t.mode}, ${t.threads} thread(s), ${t.inEffect} in effect (${t.state})`;
}

function header(plan: SamplingPlan): string {
  return [
    `# Adjoint benchmarks vs jax-js and TF.js (${new Date().toISOString()})`,
    `Deno ${Deno.version.deno}, V8 ${Deno.version.v8}, ${navigator.hardwareConcurrency} cores ` +
    `(shared; load average ${loadAverage()}); wasm threads by default: ${threadingLine()}; ` +
    `per-core WASM-SIMD f32 peak taken as ` +
    `${wasmPeakGflops} GFLOP/s.`,
    `median = median time per call over n samples of reps back-to-back calls, after warm-up ` +
    `(>= ${plan.warmupMs} ms); spread = half the interquartile range / median; ` +
    `time / base = median / median of the * row (< 1: faster than the baseline).`,
    `memory (peak) = the most bytes the library's allocator held at once during a training ` +
    `step, counted from before the case was prepared (inputs, parameters, compiled programs, ` +
    `intermediates; the first Adjoint wasm row of a process also pays the runtime's one-time ` +
    `workspaces); n/a where the library does not count its memory (jax-js, Adjoint ref).`,
    `check vs ref: before timing, each contender's result from the case's inputs is compared ` +
    `element by element with Adjoint's ref backend, eager (float64; the eager add chain in ` +
    `float32): for training steps the loss and the gradient of every parameter array, implied ` +
    `by its update (p0 - p1) / lr; |got - ref| <= ${
      float32Tolerance.rel.toExponential(0)
    } |ref| + ` +
    `${float32Tolerance.scale.toExponential(0)} max |ref over the array| (+ the float32 ` +
    `rounding of p1 / lr). ` +
    `"ok (worst r of tolerance)": r <= 1. A row that disagrees is not timed.`,
  ].join("\n");
}

/**
 * Points Adjoint's compile cache at a fresh temporary folder (unless `ADJOINT_CACHE_DIR` is set),
 * so that the jit case's first call is cold; returns the folder to remove afterwards.
 */
async function freshCompileCache(): Promise<string | undefined> {
  if (Deno.env.get("ADJOINT_CACHE_DIR")) return undefined;
  try {
    const dir = await Deno.makeTempDir({ prefix: "adjoint-bench-cache-" });
    Deno.env.set("ADJOINT_CACHE_DIR", dir);
    return dir;
  } catch (e) {
    console.error(
      `bench: no fresh compile cache (${reason(e)}); jit "cold" may hit the disk cache`,
    );
    return undefined;
  }
}

/** Runs the benchmarks selected by the command-line flags and prints the tables. */
export async function main(args: string[]): Promise<void> {
  const quick = args.includes("--quick");
  const only = args.find((a) => a.startsWith("--only="))?.slice(7).split(",");
  const plan = quick ? quickPlan : defaultPlan;
  const families = new Set([...allCases(quick).map(([family]) => family), "load", "compile"]);
  const unknown = only?.filter((f) => !families.has(f)) ?? [];
  if (unknown.length > 0) {
    throw new Error(
      `bench/run.ts: unknown --only families ${unknown.join(", ")}; expected some of ${
        [...families].join(", ")
      }`,
    );
  }
  const cases = allCases(quick).filter(([family]) => !only || only.includes(family));
  console.log(header(plan));
  const cacheDir = await freshCompileCache();
  const hosts = await startHosts();
  const results: CaseResult[] = [];
  const mismatches: string[] = [];
  try {
    for (const [, c] of cases) {
      console.error(`running ${JSON.stringify(c)}`);
      const inputs = caseInputs(c);
      console.error("  reference (ref backend, eager)...");
      const reference = await referenceOutputs(c, inputs);
      const r = await runCase(c, inputs, reference, hosts, plan);
      results.push(r);
      mismatches.push(...caseMismatches(r));
      console.log(`\n${formatCase(r)}`);
      if (c.kind === "jitFresh") {
        console.log(
          "(first call = first call of the first jit in this process, Adjoint's disk cache " +
            "empty: trace, simplify, compile, run; median = a fresh jit() of the same step in a " +
            "warm process, in-memory and disk kernel caches warm; TF.js has no jit)",
        );
        const newProcess = await newProcessJitLine(c, inputs, reference);
        console.log(newProcess.line);
        mismatches.push(...newProcess.mismatches.map((m) => `${caseLabel(c)}, new process, ${m}`));
      }
      if (c.kind === "convnet") {
        console.log(
          "(TF.js wasm has no Conv2DBackpropFilter kernel: its filter gradients are forward " +
            "conv2d calls through tf.customGrad, input gradient conv2dTranspose)",
        );
      }
      if (c.kind === "lstm") {
        console.log(
          "(Adjoint: the jitted step with the recurrence as one lax.scan, and unrolled in " +
            "JavaScript (one traced step per time step); TF.js: tf.layers.lstm (sigmoid gates) " +
            "under optimizer.minimize, which loops over time eagerly; jax-js: jit of the " +
            "unrolled loop, as it has no scan; first call = trace, compile and one step)",
        );
        const scanMs = r.cells.find((cell) => cell.id === "adjoint-wasm-1")?.stats?.median;
        const floor = lstmProductsLine(c, quick ? 3 : 9, scanMs);
        console.log(floor.line);
        if (floor.mismatch) mismatches.push(floor.mismatch);
      }
    }
    if (!only || only.includes("load")) {
      console.error("running the convnet step under load (threads_load.ts)");
      const load = await threadsLoad(quick);
      console.log(`\n${load.report}`);
      mismatches.push(...load.mismatches);
    }
    if (!only || only.includes("compile")) {
      console.error("running the LSTM step's compile time against sequence length");
      const compile = await compileTimeTable(quick);
      console.log(`\n${compile.report}`);
      mismatches.push(...compile.mismatches);
    }
    console.log(`\n${checkTargets(results)}`);
    console.log(`\n${mismatchSummary(mismatches)}`);
    console.log(`\nload average at the end: ${loadAverage()}`);
    if (mismatches.length > 0) Deno.exitCode = 1;
  } finally {
    for (const { host } of hosts) host.close();
    if (cacheDir) await Deno.remove(cacheDir, { recursive: true });
  }
}

if (import.meta.main) await main(Deno.args);
