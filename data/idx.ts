/**
 * The IDX file format, in which MNIST is distributed: a 4-byte magic number (two zero bytes, a
 * type code, the number of dimensions), one big-endian uint32 per dimension, then the elements in
 * row-major order, big-endian. Files may be gzip-compressed (detected by their magic bytes).
 *
 * ```ts
 * import { decodeIdx, encodeIdx, idxToArray } from "./idx.ts";
 * const bytes = encodeIdx({ dtype: "uint8", shape: [2, 2], data: new Uint8Array([0, 1, 2, 3]) });
 * const idx = await decodeIdx(bytes, "tiny");
 * idxToArray(idx).shape; // [2, 2]
 * ```
 * @module
 */
import { ConcreteArray } from "../numpy.ts";
import { allocTyped, type DType } from "../core/dtype.ts";
import { AdjointError } from "../core/errors.ts";

/** The element types an IDX file can hold. */
export type IdxDType = "uint8" | "int8" | "int16" | "int32" | "float32" | "float64";

/** The typed arrays that hold IDX elements (in native byte order once read). */
export type IdxData =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Float32Array
  | Float64Array;

/** A decoded IDX file: its element type, its dimensions and its elements in row-major order. */
export interface IdxTensor {
  /** The element type named by the file's type code. */
  dtype: IdxDType;
  /** The dimensions from the header. */
  shape: number[];
  /** The elements, converted to the platform's byte order. */
  data: IdxData;
}

interface IdxType {
  dtype: IdxDType;
  code: number;
  bytes: number;
  alloc: (n: number) => IdxData;
  get: (view: DataView, offset: number) => number;
  set: (view: DataView, offset: number, value: number) => void;
}

const IDX_TYPES: readonly IdxType[] = [
  {
    dtype: "uint8",
    code: 0x08,
    bytes: 1,
    alloc: (n) => new Uint8Array(n),
    get: (v, o) => v.getUint8(o),
    set: (v, o, x) => v.setUint8(o, x),
  },
  {
    dtype: "int8",
    code: 0x09,
    bytes: 1,
    alloc: (n) => new Int8Array(n),
    get: (v, o) => v.getInt8(o),
    set: (v, o, x) => v.setInt8(o, x),
  },
  {
    dtype: "int16",
    code: 0x0b,
    bytes: 2,
    alloc: (n) => new Int16Array(n),
    get: (v, o) => v.getInt16(o),
    set: (v, o, x) => v.setInt16(o, x),
  },
  {
    dtype: "int32",
    code: 0x0c,
    bytes: 4,
    alloc: (n) => new Int32Array(n),
    get: (v, o) => v.getInt32(o),
    set: (v, o, x) => v.setInt32(o, x),
  },
  {
    dtype: "float32",
    code: 0x0d,
    bytes: 4,
    alloc: (n) => new Float32Array(n),
    get: (v, o) => v.getFloat32(o),
    set: (v, o, x) => v.setFloat32(o, x),
  },
  {
    dtype: "float64",
    code: 0x0e,
    bytes: 8,
    alloc: (n) => new Float64Array(n),
    get: (v, o) => v.getFloat64(o),
    set: (v, o, x) => v.setFloat64(o, x),
  },
];

const hex = (b: number) => `0x${b.toString(16).padStart(2, "0")}`;
const knownCodes = IDX_TYPES.map((t) => `${hex(t.code)} (${t.dtype})`).join(", ");

function fail(op: string, name: string, detail: string): never {
  throw new AdjointError(op, `${name}: ${detail}`);
}

/** Whether `bytes` starts with the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

async function gunzip(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new DecompressionStream("gzip"));
  try {
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    return fail(
      "decodeIdx",
      name,
      `expected a complete gzip stream (the file starts with the gzip magic 1f 8b), but it is ` +
        `truncated or corrupt: ${(e as Error).message}`,
    );
  }
}

/**
 * Parses an uncompressed IDX file. `name` (a file name) is used in error messages, which say what
 * the header promised and what was found.
 */
export function parseIdx(bytes: Uint8Array, name = "IDX data"): IdxTensor {
  const op = "parseIdx";
  if (isGzip(bytes)) {
    fail(op, name, "the data is gzip-compressed; use decodeIdx or readIdx, which decompress it");
  }
  if (bytes.length < 4) {
    fail(op, name, `expected a 4-byte magic number, but the file has only ${bytes.length} bytes`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    fail(
      op,
      name,
      `bad magic number: expected 0x00 0x00 <type code> <ndim>, found ` +
        [...bytes.subarray(0, 4)].map(hex).join(" "),
    );
  }
  const type = IDX_TYPES.find((t) => t.code === bytes[2]);
  if (!type) fail(op, name, `unknown type code ${hex(bytes[2])}; expected one of ${knownCodes}`);
  const ndim = bytes[3];
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    fail(
      op,
      name,
      `the header declares ${ndim} dimensions (${headerBytes} header bytes), but the file has ` +
        `only ${bytes.length} bytes`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i));
  const size = shape.reduce((a, b) => a * b, 1);
  const dataBytes = size * type.bytes;
  if (bytes.length !== headerBytes + dataBytes) {
    fail(
      op,
      name,
      `the header says [${shape.join(", ")}] ${type.dtype}, i.e. ${dataBytes} data bytes after ` +
        `the ${headerBytes}-byte header (${headerBytes + dataBytes} in all), but the file has ` +
        `${bytes.length} bytes` + (bytes.length < headerBytes + dataBytes ? " (truncated)" : ""),
    );
  }
  let data: IdxData;
  if (type.bytes === 1) {
    const raw = bytes.slice(headerBytes);
    data = type.dtype === "int8" ? new Int8Array(raw.buffer) : raw;
  } else {
    data = type.alloc(size);
    for (let i = 0, o = headerBytes; i < size; i++, o += type.bytes) data[i] = type.get(view, o);
  }
  return { dtype: type.dtype, shape, data };
}

/** Parses an IDX file, decompressing it first when it is gzip-compressed. */
export async function decodeIdx(bytes: Uint8Array, name = "IDX data"): Promise<IdxTensor> {
  return parseIdx(isGzip(bytes) ? await gunzip(bytes, name) : bytes, name);
}

/** Reads and parses an IDX file (plain or gzip). Needs `--allow-read` for `path`. */
export async function readIdx(path: string | URL): Promise<IdxTensor> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    return fail("readIdx", String(path), `cannot read the file: ${(e as Error).message}`);
  }
  return decodeIdx(bytes, String(path));
}

/** Encodes a tensor as an uncompressed IDX file (big-endian), the inverse of `parseIdx`. */
export function encodeIdx(tensor: IdxTensor): Uint8Array {
  const type = IDX_TYPES.find((t) => t.dtype === tensor.dtype);
  if (!type) {
    throw new AdjointError(
      "encodeIdx",
      `unknown IDX dtype ${JSON.stringify(tensor.dtype)}; expected one of ${knownCodes}`,
    );
  }
  const size = tensor.shape.reduce((a, b) => a * b, 1);
  if (tensor.data.length !== size || tensor.shape.length > 255) {
    throw new AdjointError(
      "encodeIdx",
      `shape [${tensor.shape.join(", ")}] needs ${size} elements and at most 255 dimensions, ` +
        `but ${tensor.data.length} elements were given`,
    );
  }
  const headerBytes = 4 + 4 * tensor.shape.length;
  const out = new Uint8Array(headerBytes + size * type.bytes);
  const view = new DataView(out.buffer);
  out.set([0, 0, type.code, tensor.shape.length]);
  tensor.shape.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  for (let i = 0, o = headerBytes; i < size; i++, o += type.bytes) {
    type.set(view, o, tensor.data[i]);
  }
  return out;
}

const DEFAULT_DTYPE: Record<IdxDType, DType> = {
  uint8: "int32",
  int8: "int32",
  int16: "int32",
  int32: "int32",
  float32: "float32",
  float64: "float64",
};

/**
 * An Adjoint array holding an IDX tensor: integer types become int32 and floats keep their
 * precision unless `dtype` asks for another type (`"bool"` maps nonzero to true).
 */
export function idxToArray(tensor: IdxTensor, dtype?: DType): ConcreteArray {
  const target = dtype ?? DEFAULT_DTYPE[tensor.dtype];
  const out = allocTyped(target, tensor.data.length);
  if (target === "bool") {
    for (let i = 0; i < out.length; i++) out[i] = tensor.data[i] !== 0 ? 1 : 0;
  } else {
    out.set(tensor.data);
  }
  return ConcreteArray.fromHost(out, tensor.shape, target);
}
