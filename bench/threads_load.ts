/**
 * `deno task bench --only=load`: the MNIST convnet training step under load, on 1 thread, 2
 * threads and `setThreads("auto")`: alone, beside a second Adjoint training (a child process with
 * the same thread setting), and beside one and two busy loops (child processes spinning on a core
 * each). Each configuration's step is checked against the ref backend before it is timed, and the
 * auto one again after the loads. The goals: auto within 10% of the better fixed count under every
 * load, and two trainings together at least 90% of one training's solo rate.
 *
 * Run as a child (`--child --threads=T`), the file is the competing training: it warms up, prints
 * `ready`, and on a line `go WARM MS` on stdin trains for WARM ms, then MS ms, and prints its steps
 * per second over the latter as JSON.
 * @module
 */
import { createAdjoint } from "./adjoint.ts";
import { type BenchCase, caseInputs, type Inputs } from "./cases.ts";
import { checkCase, describeComparison, type Outputs } from "./check.ts";
import { isNotAvailable, prepareRunner, reason, type Runner } from "./contender.ts";
import { referenceOutputs } from "./reference.ts";
import { wasmThreading } from "../mod.ts";

/** A thread setting under test. */
type Threads = 1 | 2 | "auto";

/** What competes with the timed training. */
interface Load {
  /** Row label. */
  name: string;
  /** Busy-loop processes. */
  busy: number;
  /** Whether a second training (same thread setting) runs beside. */
  training: boolean;
}

const loads: Load[] = [
  { name: "alone", busy: 0, training: false },
  { name: "beside a second training", busy: 0, training: true },
  { name: "beside 1 busy loop", busy: 1, training: false },
  { name: "beside 2 busy loops", busy: 2, training: false },
];
const settings: Threads[] = [1, 2, "auto"];
const convnet = { kind: "convnet", batch: 64 } as const satisfies BenchCase;

/** Steps per second of `runner` over `ms` of steps, after `warmMs` of steps. */
async function rate(runner: Runner, warmMs: number, ms: number): Promise<number> {
  for (const t0 = performance.now(); performance.now() - t0 < warmMs;) await runner.sample(1);
  let steps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    await runner.sample(1);
    steps++;
  }
  return steps / ((performance.now() - t0) / 1000);
}

/** A convnet training runner on `threads`, prepared and warmed. */
async function trainingRunner(threads: Threads): Promise<Runner> {
  const contender = await createAdjoint({ backend: "wasm", threads });
  const runner = await prepareRunner(contender, convnet, caseInputs(convnet));
  if (isNotAvailable(runner)) throw new Error(`threads_load: ${runner.na}`);
  return runner;
}

/** A process spinning on a core until killed. */
function busyLoop(): Deno.ChildProcess {
  return new Deno.Command("deno", {
    args: ["eval", "while (true) {}"],
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/** A competing training in a child process, started and warmed up. */
class ChildTraining {
  readonly #child: Deno.ChildProcess;
  readonly #lines: ReadableStreamDefaultReader<string>;
  #buffered = "";

  constructor(threads: Threads) {
    this.#child = new Deno.Command("deno", {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        new URL(import.meta.url).pathname,
        "--child",
        `--threads=${threads}`,
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#lines = this.#child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** The next line the child prints. */
  async line(): Promise<string> {
    for (;;) {
      const at = this.#buffered.indexOf("\n");
      if (at >= 0) {
        const line = this.#buffered.slice(0, at);
        this.#buffered = this.#buffered.slice(at + 1);
        return line;
      }
      const { value, done } = await this.#lines.read();
      if (done) throw new Error("threads_load: the competing training ended early");
      this.#buffered += value;
    }
  }

  /** Tells the child to train for `warmMs`, then for `ms` counting its steps. */
  async go(warmMs: number, ms: number): Promise<void> {
    const writer = this.#child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(`go ${warmMs} ${ms}\n`));
    writer.releaseLock();
  }

  /** Stops the child. */
  async close(): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch { /* already gone */ }
    await this.#child.status;
  }
}

/** One cell: the timed training's rate, and the competing training's where there is one. */
interface Cell {
  rate: number;
  other?: number;
  /** Threads in effect at the end (auto). */
  inEffect: number;
}

/** Times `runner` (thread setting `threads`) under `load`. */
async function measure(
  runner: Runner,
  threads: Threads,
  load: Load,
  warmMs: number,
  ms: number,
): Promise<Cell> {
  const busy = Array.from({ length: load.busy }, busyLoop);
  const child = load.training ? new ChildTraining(threads) : undefined;
  try {
    if (child) {
      const ready = await child.line();
      if (ready !== "ready") throw new Error(`threads_load: the child said "${ready}"`);
      await child.go(warmMs, ms);
    }
    const own = await rate(runner, warmMs, ms);
    const inEffect = wasmThreading().inEffect;
    const other = child ? JSON.parse(await child.line()).rate as number : undefined;
    return { rate: own, other, inEffect };
  } finally {
    await child?.close();
    for (const b of busy) {
      b.kill("SIGKILL");
      await b.status;
    }
  }
}

/** Checks a runner's step against the reference; a line, and whether it agreed. */
async function check(
  runner: Runner,
  inputs: Inputs,
  reference: Outputs,
  what: string,
): Promise<[string, boolean]> {
  const comparison = checkCase(convnet, inputs, await runner.result(), reference);
  return [`check vs ref, ${what}: ${describeComparison(comparison)}`, comparison.ok];
}

const fmt = (x: number) => x.toFixed(1);

/**
 * Runs the load benchmark and returns its report (a markdown table, goal lines) and any result
 * mismatches. `quick` samples briefly (a smoke test, not numbers to quote).
 */
export async function threadsLoad(
  quick: boolean,
): Promise<{ report: string; mismatches: string[] }> {
  const [warmMs, ms, rounds] = quick ? [300, 700, 1] : [1000, 2500, 5];
  const inputs = caseInputs(convnet);
  const reference = await referenceOutputs(convnet, inputs);
  const lines: string[] = [];
  const mismatches: string[] = [];
  const runners = new Map<Threads, Runner>();
  for (const threads of settings) {
    const runner = await trainingRunner(threads);
    const [line, ok] = await check(runner, inputs, reference, `${threads} thread(s)`);
    lines.push(line);
    if (!ok) mismatches.push(line);
    else runners.set(threads, runner);
  }
  if (runners.size < settings.length) return { report: lines.join("\n"), mismatches };
  // Interleaved rounds: each cell's rates, medians at the end.
  const cells = new Map<string, Cell[]>();
  for (let round = 0; round < rounds; round++) {
    for (const load of loads) {
      for (const threads of settings) {
        console.error(`  load: ${load.name}, ${threads} thread(s), round ${round + 1}`);
        const cell = await measure(runners.get(threads)!, threads, load, warmMs, ms);
        const key = `${load.name}/${threads}`;
        cells.set(key, [...cells.get(key) ?? [], cell]);
      }
    }
  }
  const [line, ok] = await check(runners.get("auto")!, inputs, reference, "auto, after the loads");
  lines.push(line);
  if (!ok) mismatches.push(line);
  for (const r of runners.values()) await r.release();

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const total = (c: Cell) => c.rate + (c.other ?? 0);
  const runs = (load: Load, t: Threads) => cells.get(`${load.name}/${t}`)!;
  const show = (cs: Cell[]) => {
    const rate = fmt(median(cs.map((c) => c.rate)));
    return cs[0].other === undefined ? rate : `${rate} + ${fmt(median(cs.map((c) => c.other!)))}`;
  };
  /** The median over rounds of a ratio taken within each round (neighbours in time). */
  const perRound = (ratio: (round: number) => number) =>
    median(Array.from({ length: rounds }, (_, r) => ratio(r)));
  const table = [
    `## convnet training step (batch ${convnet.batch}) under load, steps/s (median of ${rounds} ` +
    `rounds)`,
    "",
    "| load | 1 thread | 2 threads | auto (threads in effect at the end) | auto / best fixed |",
    "|---|---|---|---|---|",
  ];
  const goals: string[] = [];
  for (const load of loads) {
    const [one, two, auto] = settings.map((t) => runs(load, t));
    const ratio = perRound((r) => total(auto[r]) / Math.max(total(one[r]), total(two[r])));
    table.push(
      `| ${load.name} | ${show(one)} | ${show(two)} | ${show(auto)} ` +
        `(${auto.map((c) => c.inEffect).join(", ")}) | ${ratio.toFixed(2)} |`,
    );
    goals.push(
      `${ratio >= 0.9 ? "met" : "MISSED"}: auto ${load.name} at ${ratio.toFixed(2)} of the ` +
        `better fixed count (goal >= 0.90)`,
    );
  }
  const [solo, pair] = [runs(loads[0], "auto"), runs(loads[1], "auto")];
  const together = perRound((r) => total(pair[r]) / solo[r].rate);
  goals.push(
    `${together >= 0.9 ? "met" : "MISSED"}: two auto trainings together at ` +
      `${together.toFixed(2)} of one alone (goal >= 0.90)`,
  );
  table.push(
    "",
    "(a second training: a child process training the same step with the same thread " +
      "setting, its rate after the +; auto / best compares the totals, round by round, and " +
      "shows the median of those ratios)",
    ...goals,
    ...lines,
  );
  return { report: table.join("\n"), mismatches };
}

/** The competing training: warm up, say `ready`, train for the time asked, print the rate. */
async function child(threads: Threads): Promise<void> {
  const runner = await trainingRunner(threads);
  await rate(runner, 300, 0);
  console.log("ready");
  const reader = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).getReader();
  const { value } = await reader.read();
  const [warmMs, ms] = (value ?? "").trim().split(" ").slice(1).map(Number);
  console.log(JSON.stringify({ rate: await rate(runner, warmMs, ms) }));
}

if (import.meta.main) {
  const arg = Deno.args.find((a) => a.startsWith("--threads="))?.slice(10);
  const threads: Threads = arg === "auto" ? "auto" : arg === "1" ? 1 : 2;
  if (Deno.args.includes("--child")) await child(threads);
  else {
    try {
      const { report, mismatches } = await threadsLoad(Deno.args.includes("--quick"));
      console.log(report);
      if (mismatches.length) Deno.exitCode = 1;
    } catch (e) {
      console.error(reason(e));
      Deno.exitCode = 1;
    }
  }
}
