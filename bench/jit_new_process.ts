/**
 * The first call of a jitted MLP step in a new process, with Adjoint's compile cache on disk
 * empty and then warm: what a script pays at startup. `deno task bench` runs this file as a child
 * process twice over one cache folder; run alone, it prints the first call's milliseconds as JSON.
 *
 *   ADJOINT_CACHE_DIR=/tmp/cache deno run --allow-read --allow-write --allow-env \
 *     bench/jit_new_process.ts
 * @module
 */
import { createAdjoint } from "./adjoint.ts";
import { caseInputs } from "./cases.ts";
import { isNotAvailable, prepareRunner, reason } from "./contender.ts";

const CASE = { kind: "jitFresh", batch: 128 } as const;

/** Milliseconds of the first call of a fresh jitted MLP step in this process (wasm, 1 thread). */
async function firstCallMs(): Promise<number> {
  const runner = await prepareRunner(
    await createAdjoint({ backend: "wasm", threads: 1 }),
    CASE,
    caseInputs(CASE),
  );
  if (isNotAvailable(runner)) throw new Error(runner.na);
  return runner.firstMs;
}

/** Runs this file in a child process over compile cache `dir`: its first call's ms, or why not. */
async function childFirstCallMs(dir: string): Promise<number | string> {
  try {
    const out = await new Deno.Command("deno", {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        new URL(import.meta.url).pathname,
      ],
      env: { ADJOINT_CACHE_DIR: dir },
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(120_000),
    }).output();
    if (!out.success) return `failed: ${new TextDecoder().decode(out.stderr).trim().slice(-200)}`;
    return JSON.parse(new TextDecoder().decode(out.stdout)).firstMs;
  } catch (e) {
    return reason(e);
  }
}

const shown = (ms: number | string) =>
  typeof ms === "string"
    ? `n/a (${ms})`
    : ms >= 1000
    ? `${(ms / 1000).toFixed(2)} s`
    : `${ms.toFixed(1)} ms`;

/**
 * A line for the bench's output: the first call of a fresh jitted MLP step in a new process, with
 * the disk cache empty, then warm (the same folder, filled by the first child).
 */
export async function newProcessJitLine(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "adjoint-bench-newproc-" });
  try {
    const cold = await childFirstCallMs(dir);
    const cached = await childFirstCallMs(dir);
    return `Adjoint wasm, jit MLP step, first call in a new process: disk cache empty ${
      shown(cold)
    }, disk cache warm ${shown(cached)} (trace, simplify, load or compile kernels, run)`;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) console.log(JSON.stringify({ firstMs: await firstCallMs() }));
