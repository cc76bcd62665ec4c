/**
 * The prebuilt module imports a shared memory (so worker threads can run kernels on it). Where
 * shared memory is unavailable, the same binary is used with the import's `shared` flag cleared:
 * atomic instructions are valid on unshared memory, so nothing else changes.
 * @module
 */
import { AdjointError } from "../../core/errors.ts";

const IMPORT_SECTION = 2;
const SHARED_LIMITS = 0x03;
const BOUNDED_LIMITS = 0x01;

/** Reads an unsigned LEB128 at `pos`: the value and the position after it. */
function leb(bytes: Uint8Array, pos: number): [number, number] {
  let value = 0, shift = 0, byte: number;
  do {
    byte = bytes[pos++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, pos];
}

/** Skips a name (length-prefixed bytes). */
function skipName(bytes: Uint8Array, pos: number): number {
  const [len, at] = leb(bytes, pos);
  return at + len;
}

/** Skips limits (flags, minimum, optional maximum); returns the flags position and the end. */
function skipLimits(bytes: Uint8Array, pos: number): [number, number] {
  const flags = bytes[pos];
  let at = leb(bytes, pos + 1)[1];
  if (flags & 1) at = leb(bytes, at)[1];
  return [pos, at];
}

/** Byte offset of the memory import's limits flags, or -1 when the module imports no memory. */
function memoryLimitsOffset(bytes: Uint8Array): number {
  let pos = 8;
  while (pos < bytes.length) {
    const id = bytes[pos];
    const [size, body] = leb(bytes, pos + 1);
    if (id === IMPORT_SECTION) {
      let [count, at] = leb(bytes, body);
      for (; count > 0; count--) {
        at = skipName(bytes, skipName(bytes, at));
        const kind = bytes[at++];
        if (kind === 0) at = leb(bytes, at)[1];
        else if (kind === 1) at = skipLimits(bytes, at + 1)[1];
        else if (kind === 2) return at;
        else if (kind === 3) at += 2;
        else at = leb(bytes, at + 1)[1];
      }
      return -1;
    }
    pos = body + size;
  }
  return -1;
}

/** A copy of the wasm `bytes` whose shared memory import is made unshared. */
export function unshareMemoryImport(bytes: Uint8Array): Uint8Array {
  const at = memoryLimitsOffset(bytes);
  if (at < 0 || bytes[at] !== SHARED_LIMITS) {
    throw new AdjointError(
      "wasm backend",
      "the kernel module does not import a shared memory with a maximum size (rebuild it with " +
        "`deno task build:kernels`)",
    );
  }
  const out = bytes.slice();
  out[at] = BOUNDED_LIMITS;
  return out;
}
