/**
 * The first call of a jitted MLP step in a new process, with Adjoint's compile cache on disk
 * empty and then warm: what a script pays at startup. `deno task bench` runs this file as a child
 * process twice over one cache folder and checks each child's result (loss and updated
 * parameters) against the reference before showing its time; run alone, it prints the first
 * call's milliseconds and that result as JSON.
 *
 *   ADJOINT_CACHE_DIR=/tmp/cache deno run --allow-read --allow-write --allow-env \
 *     bench/jit_new_process.ts [--batch=128]
 * @module
 */
import { createAdjoint } from "./adjoint.ts";
import { type BenchCase, caseInputs, type Inputs } from "./cases.ts";
import { childJson } from "./child_json.ts";
import { checkCase, describeComparison, type Outputs } from "./check.ts";
import { isNotAvailable, prepareRunner } from "./contender.ts";

/** What a child reports: its first call's time and its result. */
interface ChildReport {
  firstMs: number;
  outputs: Outputs;
}

/** The first call of a fresh jitted MLP step in this process (wasm, 1 thread), and its result. */
async function firstCall(c: BenchCase): Promise<ChildReport> {
  const runner = await prepareRunner(
    await createAdjoint({ backend: "wasm", threads: 1 }),
    c,
    caseInputs(c),
  );
  if (isNotAvailable(runner)) throw new Error(runner.na);
  const outputs = await runner.result();
  const plain = Object.fromEntries(
    Object.entries(outputs).map(([k, v]) => [k, { data: Array.from(v.data), shape: v.shape }]),
  );
  return { firstMs: runner.firstMs, outputs: plain };
}

/** Runs this file in a child process over compile cache `dir`: its report, or why there is none. */
function childReport(dir: string, batch: number): Promise<ChildReport | string> {
  return childJson<ChildReport>(import.meta.url, [`--batch=${batch}`], dir, 120_000);
}

const shownMs = (ms: number) => ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;

/** A child's time if its result agrees with the reference; else the mismatch, or why not run. */
function shown(
  report: ChildReport | string,
  c: BenchCase,
  inputs: Inputs,
  reference: Outputs,
): { text: string; mismatch?: string } {
  if (typeof report === "string") return { text: `n/a (${report})` };
  const check = checkCase(c, inputs, report.outputs, reference);
  const text = describeComparison(check);
  return check.ok ? { text: `${shownMs(report.firstMs)} [${text}]` } : { text, mismatch: text };
}

/**
 * A line for the bench's output: the first call of a fresh jitted MLP step (case `c`) in a new
 * process, with the disk cache empty, then warm (the same folder, filled by the first child);
 * each checked against `reference`. Also the mismatches, if any.
 */
export async function newProcessJitLine(
  c: BenchCase & { kind: "jitFresh" },
  inputs: Inputs,
  reference: Outputs,
): Promise<{ line: string; mismatches: string[] }> {
  const dir = await Deno.makeTempDir({ prefix: "adjoint-bench-newproc-" });
  try {
    const cold = shown(await childReport(dir, c.batch), c, inputs, reference);
    const cached = shown(await childReport(dir, c.batch), c, inputs, reference);
    const mismatches = [cold, cached].flatMap((r, i) =>
      r.mismatch ? [`${["disk cache empty", "disk cache warm"][i]}: ${r.mismatch}`] : []
    );
    return {
      line: "Adjoint wasm, jit MLP step, first call in a new process: " +
        `disk cache empty ${cold.text}, disk cache warm ${cached.text} ` +
        "(trace, simplify, load or compile kernels, run)",
      mismatches,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const batch = Number(Deno.args.find((a) => a.startsWith("--batch="))?.slice(8) ?? 128);
  console.log(JSON.stringify(await firstCall({ kind: "jitFresh", batch })));
}
