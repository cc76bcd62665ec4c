/**
 * A bench script run as a child process (a new process, so a first call pays what a script
 * pays at startup): `deno run` with read, write and env permissions over compile cache
 * `ADJOINT_CACHE_DIR`, its standard output read as one JSON report.
 * @module
 */
import { reason } from "./contender.ts";

/**
 * The JSON report `module` (a file URL) prints when run with `args` over compile cache
 * `cacheDir`, or why there is none (it failed, timed out after `timeoutMs`, or could not start).
 */
export async function childJson<T>(
  module: string,
  args: readonly string[],
  cacheDir: string,
  timeoutMs: number,
): Promise<T | string> {
  try {
    const out = await new Deno.Command("deno", {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        new URL(module).pathname,
        ...args,
      ],
      env: { ADJOINT_CACHE_DIR: cacheDir },
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(timeoutMs),
    }).output();
    if (!out.success) return `failed: ${new TextDecoder().decode(out.stderr).trim().slice(-200)}`;
    return JSON.parse(new TextDecoder().decode(out.stdout)) as T;
  } catch (e) {
    return reason(e);
  }
}
