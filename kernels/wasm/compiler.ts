/**
 * Compiling generated AssemblyScript: in a worker so the main thread keeps running, with a
 * content-addressed disk cache (key: SHA-256 of compiler version, options and source) in
 * `$ADJOINT_CACHE_DIR`, else `$XDG_CACHE_HOME/adjoint`, else `~/.cache/adjoint`.
 *
 * Compilation needs `--allow-env` (the compiler reads its environment) and read/write access to
 * the cache folder; without them `available()` is false and jitted programs keep running op by
 * op on the prebuilt kernels, after one line saying which permission would enable compilation.
 * @module
 */
import { AdjointError } from "../../core/errors.ts";
import { type CompileReply, type CompileRequest, STATE } from "./compile_protocol.ts";
// A static import makes Deno fetch the compiler's package while it loads this module graph. Left
// to the worker's dynamic import, a package not yet in Deno's cache never arrived while
// `compileSync` blocked the main thread (Deno 2.9): a first `compile: "sync"` on a new machine
// timed out.
import compilerPackage from "npm:assemblyscript@0.28.20/package.json" with { type: "json" };

/** The compiler release whose output the cache holds. */
export const COMPILER_VERSION = `assemblyscript@${compilerPackage.version}`;

/** Options every generated module is compiled with. */
export const COMPILE_OPTIONS: Record<string, unknown> = {
  optimizeLevel: 3,
  shrinkLevel: 0,
  runtime: "stub",
  importMemory: true,
  noAssert: true,
  enable: ["simd", "relaxed-simd"],
};

function envGranted(variable: string): boolean {
  try {
    return Deno.permissions.querySync({ name: "env", variable }).state === "granted";
  } catch {
    return false;
  }
}

function allEnvGranted(): boolean {
  try {
    return Deno.permissions.querySync({ name: "env" }).state === "granted";
  } catch {
    return false;
  }
}

function env(variable: string): string | undefined {
  return envGranted(variable) ? Deno.env.get(variable) || undefined : undefined;
}

/** The cache folder, or null when it cannot be located. */
export function cacheDir(): string | null {
  const explicit = env("ADJOINT_CACHE_DIR");
  if (explicit) return explicit;
  const xdg = env("XDG_CACHE_HOME");
  if (xdg) return `${xdg}/adjoint`;
  const home = env("HOME");
  return home ? `${home}/.cache/adjoint` : null;
}

function fsGranted(name: "read" | "write", path: string): boolean {
  try {
    return Deno.permissions.querySync({ name, path }).state === "granted";
  } catch {
    return false;
  }
}

let warned = false;

/** Whether the compiler may run here; says once, in one line, what is missing when it may not. */
export function available(): boolean {
  const missing: string[] = [];
  if (!allEnvGranted()) missing.push("--allow-env");
  if (missing.length && !warned) {
    warned = true;
    console.warn(
      `adjoint: jit runs op by op on prebuilt kernels; grant ${
        missing.join(" ")
      } to compile fused kernels`,
    );
  }
  return missing.length === 0;
}

let failureReported = false;

/**
 * Says once, in one line, that a background compilation failed (the program keeps running op by
 * op on the prebuilt kernels), with the start of the reason and how to see all of it.
 */
export function reportCompileFailure(err: unknown): void {
  if (failureReported) return;
  failureReported = true;
  const text = String(err instanceof Error ? err.message : err).replace(/\s+/g, " ").trim();
  const reason = text.length > 240 ? `${text.slice(0, 240)}...` : text;
  console.warn(
    `adjoint: jit could not compile fused kernels and runs op by op (${reason}); ` +
      `jit(f, { compile: "sync" }) throws the whole error`,
  );
}

/** A 106-bit content hash (two seeded 53-bit cyrb53 hashes), synchronous for compileSync. */
export function contentHash(text: string): string {
  const h53 = (seed: number) => {
    let h1 = 0xdeadbeef ^ seed, h2 = 0x41c6ce57 ^ seed;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, "0");
  };
  return h53(1) + h53(2);
}

function cacheKeyText(source: string, options: Record<string, unknown>): string {
  return `${COMPILER_VERSION}\n${JSON.stringify(options)}\n${source}`;
}

function cachePath(key: string): string | null {
  const dir = cacheDir();
  return dir ? `${dir}/${key}.wasm` : null;
}

function readCache(path: string | null): Uint8Array | null {
  if (!path || !fsGranted("read", path)) return null;
  try {
    return Deno.readFileSync(path);
  } catch {
    return null;
  }
}

function writeCache(path: string | null, binary: Uint8Array): void {
  if (!path || !fsGranted("write", path)) return;
  try {
    Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    const tmp = `${path}.${crypto.randomUUID()}.tmp`;
    Deno.writeFileSync(tmp, binary);
    Deno.renameSync(tmp, path);
  } catch {
    // a read-only or full disk only costs a recompile next time
  }
}

/** How long an idle worker is kept for the next compile (it keeps a process from exiting). */
const IDLE_MS = 1000;
/** How long a synchronous compile may block before it is reported as failed. */
const SYNC_TIMEOUT_MS = 120_000;

let worker: Worker | null = null;
let idleTimer: ReturnType<typeof setTimeout> | undefined;
let nextId = 0;
const pending = new Map<number, (reply: CompileReply) => void>();

function getWorker(): Worker {
  clearTimeout(idleTimer);
  if (!worker) {
    worker = new Worker(new URL("./compile_worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = (e: MessageEvent<CompileReply>) => {
      pending.get(e.data.id)?.(e.data);
      pending.delete(e.data.id);
      retireWhenIdle();
    };
    worker.onerror = (e) => {
      e.preventDefault();
      for (const [id, resolve] of pending) resolve({ id, binary: null, error: e.message });
      pending.clear();
      shutdownCompiler();
    };
  }
  return worker;
}

/** Terminates the worker after a quiet period, so that it never keeps the process alive. */
function retireWhenIdle(): void {
  if (pending.size) return;
  clearTimeout(idleTimer);
  const timer = setTimeout(shutdownCompiler, IDLE_MS);
  Deno.unrefTimer(timer);
  idleTimer = timer;
}

/** Releases the compile worker (it is started again on demand). */
export function shutdownCompiler(): void {
  clearTimeout(idleTimer);
  worker?.terminate();
  worker = null;
}

function post(request: CompileRequest): void {
  getWorker().postMessage(request);
}

const memo = new Map<string, Uint8Array>();

/**
 * Compiles `source` to a wasm binary in the worker, using the memory and disk caches;
 * `extra` options (e.g. `memoryBase`) are added to `COMPILE_OPTIONS`.
 */
export async function compile(
  source: string,
  extra: Record<string, unknown> = {},
): Promise<Uint8Array> {
  const options = { ...COMPILE_OPTIONS, ...extra };
  const text = cacheKeyText(source, options);
  const hit = memo.get(text);
  if (hit) return hit;
  const path = cachePath(contentHash(text));
  const cached = readCache(path);
  if (cached) {
    memo.set(text, cached);
    return cached;
  }
  const id = nextId++;
  const reply = await new Promise<CompileReply>((resolve) => {
    pending.set(id, resolve);
    post({ id, source, options });
  });
  if (!reply.binary) throw new AdjointError("jit", `kernel compilation failed:\n${reply.error}`);
  memo.set(text, reply.binary);
  writeCache(path, reply.binary);
  return reply.binary;
}

/**
 * Compiles `source` and blocks until the binary is ready (`Atomics.wait` on the main thread,
 * which Deno allows). Used by `jit(f, { compile: "sync" })` in tests and benchmarks.
 */
export function compileSync(
  source: string,
  extra: Record<string, unknown> = {},
  room = 1 << 22,
): Uint8Array {
  const options = { ...COMPILE_OPTIONS, ...extra };
  const text = cacheKeyText(source, options);
  const hit = memo.get(text);
  if (hit) return hit;
  const path = cachePath(contentHash(text));
  const cached = readCache(path);
  if (cached) {
    memo.set(text, cached);
    return cached;
  }
  const shared = new SharedArrayBuffer(8 + room);
  const ctrl = new Int32Array(shared, 0, 2);
  post({ id: nextId++, source, options, shared });
  const waited = Atomics.wait(ctrl, 0, STATE.pending, SYNC_TIMEOUT_MS);
  retireWhenIdle();
  if (waited === "timed-out") {
    shutdownCompiler();
    throw new AdjointError("jit", `kernel compilation did not finish in ${SYNC_TIMEOUT_MS} ms`);
  }
  const state = Atomics.load(ctrl, 0);
  if (state === STATE.tooSmall) return compileSync(source, extra, ctrl[1]);
  const bytes = new Uint8Array(shared, 8, ctrl[1]).slice();
  if (state === STATE.failed) {
    throw new AdjointError("jit", `kernel compilation failed:\n${new TextDecoder().decode(bytes)}`);
  }
  memo.set(text, bytes);
  writeCache(path, bytes);
  return bytes;
}
