/**
 * `deno task bench --only=compile`: how the compile time of the jitted LSTM training step grows
 * with the sequence length, with the recurrence as one `lax.scan` and unrolled in JavaScript.
 * Each configuration runs in a new process with an empty compile cache (wasm, 1 thread); its
 * compile time is its first call (trace, simplify, compile, one step) minus the median of its
 * next calls, and its result (loss and updated parameters) is checked against the ref backend
 * before the time is shown. The goal (issue 15): the scan's compile time independent of the
 * sequence length.
 *
 * Run as a child (`--child --seq=S --loop=scan|unrolled`), the file prints that configuration's
 * first and steady milliseconds and its result as JSON.
 * @module
 */
import { createAdjoint } from "./adjoint.ts";
import type { Loop } from "../examples/char_rnn.ts";
import { caseInputs, type LstmCase } from "./cases.ts";
import { childJson } from "./child_json.ts";
import { checkCase, describeComparison, type Outputs } from "./check.ts";
import { isNotAvailable, prepareRunner } from "./contender.ts";
import { referenceOutputs } from "./reference.ts";

/** What a child reports. */
interface ChildReport {
  firstMs: number;
  steadyMs: number;
  outputs: Outputs;
}

/** The LSTM case of sequence length `seq` (small sizes: the compile time is what is measured). */
const lstmCase = (seq: number, quick: boolean): LstmCase => ({
  kind: "lstm",
  seq,
  batch: quick ? 2 : 8,
  hidden: quick ? 8 : 64,
  vocab: 16,
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The first and steady calls of a fresh jitted LSTM step in this process, and its result. */
async function child(c: LstmCase, loop: Loop): Promise<ChildReport> {
  const adjoint = await createAdjoint({ backend: "wasm", threads: 1, loop });
  const runner = await prepareRunner(adjoint, c, caseInputs(c));
  if (isNotAvailable(runner)) throw new Error(runner.na);
  const steady: number[] = [];
  for (let i = 0; i < 5; i++) steady.push(await runner.sample(1));
  const outputs = await runner.result();
  const plain = Object.fromEntries(
    Object.entries(outputs).map(([k, v]) => [k, { data: Array.from(v.data), shape: v.shape }]),
  );
  return { firstMs: runner.firstMs, steadyMs: median(steady), outputs: plain };
}

/** Runs this file as a child over a fresh compile cache: its report, or why there is none. */
async function childReport(c: LstmCase, loop: Loop): Promise<ChildReport | string> {
  const dir = await Deno.makeTempDir({ prefix: "adjoint-bench-compile-" });
  try {
    const args = ["--child", `--case=${JSON.stringify(c)}`, `--loop=${loop}`];
    return await childJson<ChildReport>(import.meta.url, args, dir, 300_000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** A table cell: the compile time if the result agrees with `want`, else why not. */
function cell(
  report: ChildReport | string,
  c: LstmCase,
  want: Outputs,
): { text: string; ms?: number; mismatch?: string } {
  if (typeof report === "string") return { text: `n/a (${report})` };
  const check = checkCase(c, caseInputs(c), report.outputs, want);
  if (!check.ok) {
    const text = describeComparison(check);
    return { text: `MISMATCH ${text}`, mismatch: text };
  }
  const ms = report.firstMs - report.steadyMs;
  return { text: `${seconds(ms)} (step ${report.steadyMs.toFixed(1)} ms)`, ms };
}

/**
 * The compile-time table: per sequence length, the scan's and the unrolled step's compile time
 * (each checked against ref first), and the scan's growth from the shortest sequence; with the
 * mismatches, if any. `quick` uses short sequences and small sizes (a smoke test).
 */
export async function compileTimeTable(
  quick: boolean,
): Promise<{ report: string; mismatches: string[] }> {
  const seqs = quick ? [4, 8] : [16, 64, 256];
  const rows: string[] = [], mismatches: string[] = [];
  let first: number | undefined;
  for (const seq of seqs) {
    const c = lstmCase(seq, quick);
    console.error(`  compile time, LSTM seq ${seq}: reference, scan, unrolled...`);
    const want = await referenceOutputs(c, caseInputs(c));
    const [scan, unrolled] = [
      cell(await childReport(c, "scan"), c, want),
      cell(await childReport(c, "unrolled"), c, want),
    ];
    for (const [name, r] of [["scan", scan], ["unrolled", unrolled]] as const) {
      if (r.mismatch) mismatches.push(`compile time, LSTM seq ${seq}, ${name}: ${r.mismatch}`);
    }
    first ??= scan.ms;
    const growth = scan.ms !== undefined && first ? `${(scan.ms / first).toFixed(2)}x` : "n/a";
    rows.push(`| ${seq} | ${scan.text} | ${unrolled.text} | ${growth} |`);
  }
  const { batch, hidden, vocab } = lstmCase(0, quick);
  return {
    report: [
      `## compile time against sequence length: jitted LSTM training step, batch ${batch}, ` +
      `hidden ${hidden}, vocab ${vocab}, wasm, 1 thread, new process, empty compile cache`,
      "",
      "| seq | scan: compile (first call - steady call) | unrolled | scan against the shortest |",
      "|---|---|---|---|",
      ...rows,
    ].join("\n"),
    mismatches,
  };
}

if (import.meta.main) {
  const arg = (name: string) =>
    Deno.args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  if (Deno.args.includes("--child")) {
    const c = JSON.parse(arg("case")!) as LstmCase;
    console.log(JSON.stringify(await child(c, arg("loop") as Loop)));
  } else {
    const { report, mismatches } = await compileTimeTable(Deno.args.includes("--quick"));
    console.log(report);
    if (mismatches.length) {
      console.log(mismatches.join("\n"));
      Deno.exitCode = 1;
    }
  }
}
