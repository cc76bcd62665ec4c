/**
 * The compile worker: runs the AssemblyScript compiler off the main thread. A request carries
 * the source and options; the reply is posted back, or written into a shared buffer and
 * signalled with `Atomics.notify` when the caller waits synchronously.
 * @module
 */
/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />

/** Loaded lazily, so the message handler exists before the compiler's large module graph loads. */
const compiler = import("assemblyscript/asc");

/** A compile request. */
export interface CompileRequest {
  /** Correlates replies with requests. */
  id: number;
  /** AssemblyScript source of one module. */
  source: string;
  /** Compiler options. */
  options: Record<string, unknown>;
  /** For synchronous callers: `[state, length]` control words, then room for the binary. */
  shared?: SharedArrayBuffer;
}

/** States of the shared control word. */
export const STATE = { pending: 0, done: 1, tooSmall: 2, failed: 3 } as const;

self.onmessage = async (e: MessageEvent<CompileRequest>) => {
  const { id, source, options, shared } = e.data;
  let binary: Uint8Array | null = null;
  let error = "";
  try {
    const asc = (await compiler).default;
    const out = await asc.compileString({ "kernels.ts": source }, options as never);
    binary = out.binary;
    if (!binary) error = out.stderr.toString();
  } catch (err) {
    error = String(err);
  }
  if (!shared) {
    self.postMessage({ id, binary, error });
    return;
  }
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
};
