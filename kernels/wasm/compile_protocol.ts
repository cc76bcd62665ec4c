/**
 * Messages between the main thread and the compile worker.
 * @module
 */

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

/** A compile reply (asynchronous callers). */
export interface CompileReply {
  /** The request's id. */
  id: number;
  /** The module, or null on failure. */
  binary: Uint8Array | null;
  /** Compiler diagnostics on failure. */
  error: string;
}

/** States of the shared control word. */
export const STATE = { pending: 0, done: 1, tooSmall: 2, failed: 3 } as const;
