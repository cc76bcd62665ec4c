/**
 * The compile worker: runs the AssemblyScript compiler off the main thread. A request carries
 * the source and options; the reply is posted back, or written into a shared buffer and
 * signalled with `Atomics.notify` when the caller waits synchronously.
 * @module
 */
import { type CompileReply, type CompileRequest, STATE } from "./compile_protocol.ts";

/** The worker's global scope, as far as this module uses it. */
const scope = globalThis as unknown as {
  onmessage: (e: MessageEvent<CompileRequest>) => void;
  postMessage(reply: CompileReply): void;
};

/**
 * Loaded lazily, so the message handler exists before the compiler's large module graph loads.
 * A failed load is reported to each request instead of ending the worker.
 */
const compiler = import("npm:assemblyscript@0.28.20/asc");
compiler.catch(() => {});

async function loadCompiler() {
  try {
    return (await compiler).default;
  } catch (err) {
    throw new Error(
      `the AssemblyScript compiler (npm:assemblyscript@0.28.20) could not be loaded: ${err}. ` +
        `Check that Deno can reach the npm registry (or has the package cached), or jit ` +
        `without compile: "sync" to run op by op.`,
    );
  }
}

function reply(shared: SharedArrayBuffer, binary: Uint8Array | null, error: string): void {
  const ctrl = new Int32Array(shared, 0, 2);
  const room = shared.byteLength - 8;
  if (binary && binary.length <= room) {
    new Uint8Array(shared, 8, binary.length).set(binary);
    ctrl[1] = binary.length;
    Atomics.store(ctrl, 0, STATE.done);
  } else if (binary) {
    ctrl[1] = binary.length;
    Atomics.store(ctrl, 0, STATE.tooSmall);
  } else {
    const bytes = new TextEncoder().encode(error).slice(0, room);
    new Uint8Array(shared, 8, bytes.length).set(bytes);
    ctrl[1] = bytes.length;
    Atomics.store(ctrl, 0, STATE.failed);
  }
  Atomics.notify(ctrl, 0);
}

scope.onmessage = async (e) => {
  const { id, source, options, shared } = e.data;
  let binary: Uint8Array | null = null;
  let error = "";
  try {
    const asc = await loadCompiler();
    const out = await asc.compileString({ "kernels.ts": source }, options as never);
    binary = out.binary;
    if (!binary) error = out.stderr.toString();
  } catch (err) {
    error = String(err);
  }
  if (shared) reply(shared, binary, error);
  else scope.postMessage({ id, binary, error });
};
