/**
 * Checkpoints: parameter pytrees saved as safetensors, the format PyTorch, JAX and Hugging Face
 * tools read. A file is an 8-byte little-endian header length, a JSON header naming each tensor
 * (`{"layers.0.w": {"dtype": "F32", "shape": [784, 50], "data_offsets": [0, 156800]}}`) and
 * then the raw little-endian data. Tensor names are the leaves' paths in the tree; the tree's
 * exact structure is kept in `__metadata__` under `adjoint.tree`, so it loads back as it was.
 *
 * ```ts ignore
 * import { loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
 * await saveCheckpoint("net.safetensors", params, { metadata: { epoch: "3" } });
 * const restored = await loadCheckpoint("net.safetensors", { like: params });
 * ```
 * @module
 */
import { ConcreteArray } from "../numpy.ts";
import { Array } from "../core/array.ts";
import { allocTyped, type DType, shortName, type TypedArray } from "../core/dtype.ts";
import { AdjointError } from "../core/errors.ts";
import { flatten, type Tree, type TreeDef, treeDifference, unflatten } from "../core/tree.ts";

/**
 * A safetensors element type that Adjoint reads, and the dtype it loads as: `native` types are
 * copied byte for byte (Deno only runs on little-endian hosts, x86-64 and ARM64, as the format
 * is), the others are converted element by element with `get`.
 */
interface StType {
  bytes: number;
  dtype: DType;
  native?: (buffer: ArrayBuffer) => TypedArray;
  get?: (view: DataView, offset: number) => number;
}

const toInt32 = (name: string) => (x: number) => {
  if (x < -(2 ** 31) || x >= 2 ** 31) {
    throw new RangeError(`${name} value ${x} does not fit in int32`);
  }
  return x;
};
const i64 = toInt32("I64"), u32 = toInt32("U32");

const scratch = new DataView(new ArrayBuffer(4));
/** A bfloat16 is the upper half of a float32. */
const bfloat16 = (bits: number) => {
  scratch.setUint32(0, bits << 16);
  return scratch.getFloat32(0);
};

/** What each safetensors dtype loads as: wider or narrower types convert to Adjoint's four. */
const READ_TYPES: Record<string, StType> = {
  F64: { bytes: 8, dtype: "float64", native: (b) => new Float64Array(b) },
  F32: { bytes: 4, dtype: "float32", native: (b) => new Float32Array(b) },
  F16: { bytes: 2, dtype: "float32", get: (v, o) => v.getFloat16(o, true) },
  BF16: { bytes: 2, dtype: "float32", get: (v, o) => bfloat16(v.getUint16(o, true)) },
  I64: { bytes: 8, dtype: "int32", get: (v, o) => i64(Number(v.getBigInt64(o, true))) },
  I32: { bytes: 4, dtype: "int32", native: (b) => new Int32Array(b) },
  U32: { bytes: 4, dtype: "int32", get: (v, o) => u32(v.getUint32(o, true)) },
  I16: { bytes: 2, dtype: "int32", get: (v, o) => v.getInt16(o, true) },
  U16: { bytes: 2, dtype: "int32", get: (v, o) => v.getUint16(o, true) },
  I8: { bytes: 1, dtype: "int32", get: (v, o) => v.getInt8(o) },
  U8: { bytes: 1, dtype: "int32", get: (v, o) => v.getUint8(o) },
  BOOL: { bytes: 1, dtype: "bool", get: (v, o) => (v.getUint8(o) !== 0 ? 1 : 0) },
};

/** The safetensors dtype each Adjoint dtype is written as. */
const WRITE_TYPES: Record<DType, string> = {
  float64: "F64",
  float32: "F32",
  int32: "I32",
  bool: "BOOL",
};

const TREE_KEY = "adjoint.tree";
const MAX_HEADER_BYTES = 100_000_000;

/** Tensors by name and the file's string metadata. */
export interface Safetensors {
  /** The tensors, by name. */
  tensors: Record<string, ConcreteArray>;
  /** The `__metadata__` entries (string to string). */
  metadata: Record<string, string>;
}

/**
 * Encodes named arrays (and optional string metadata) as safetensors bytes. Async because arrays
 * on some backends can only be read asynchronously.
 */
export async function encodeSafetensors(
  tensors: Record<string, Array>,
  metadata: Record<string, string> = {},
): Promise<Uint8Array> {
  const names = Object.keys(tensors);
  if (names.includes("__metadata__")) {
    throw new AdjointError("safetensors", `"__metadata__" is reserved and cannot name a tensor`);
  }
  const data = await Promise.all(names.map((n) => tensors[n].read()));
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  names.forEach((name, i) => {
    const begin = offset;
    offset += READ_TYPES[WRITE_TYPES[tensors[name].dtype]].bytes * data[i].length;
    header[name] = {
      dtype: WRITE_TYPES[tensors[name].dtype],
      shape: tensors[name].shape,
      data_offsets: [begin, offset],
    };
  });
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Spaces pad the header so that the data starts 8-byte aligned, as the format recommends.
  const headerBytes = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerBytes + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes), true);
  out.fill(0x20, 8, 8 + headerBytes);
  out.set(json, 8);
  names.forEach((name, i) => {
    const begin = 8 + headerBytes + (header[name] as { data_offsets: number[] }).data_offsets[0];
    const values = data[i];
    out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), begin);
  });
  return out;
}

function fail(source: string, detail: string): never {
  throw new AdjointError("safetensors", `${source}: ${detail}`);
}

interface Entry {
  name: string;
  type: StType;
  dtypeName: string;
  shape: number[];
  begin: number;
  end: number;
}

function parseEntry(source: string, name: string, raw: unknown): Entry {
  const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (typeof e !== "object" || e === null) {
    fail(
      source,
      `tensor "${name}": expected {dtype, shape, data_offsets}, found ${JSON.stringify(raw)}`,
    );
  }
  const type = READ_TYPES[String(e.dtype)];
  if (!type) {
    fail(
      source,
      `tensor "${name}": unknown dtype ${JSON.stringify(e.dtype)}; expected one of ` +
        Object.keys(READ_TYPES).join(", "),
    );
  }
  const isCount = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 0;
  if (!globalThis.Array.isArray(e.shape) || !e.shape.every(isCount)) {
    fail(
      source,
      `tensor "${name}": shape must be a list of sizes, found ${JSON.stringify(e.shape)}`,
    );
  }
  const offsets = e.data_offsets;
  if (!globalThis.Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    fail(
      source,
      `tensor "${name}": data_offsets must be [begin, end], found ${JSON.stringify(offsets)}`,
    );
  }
  const [begin, end] = offsets as number[];
  const shape = e.shape as number[];
  const need = shape.reduce((a, b) => a * b, 1) * type.bytes;
  if (end - begin !== need) {
    fail(
      source,
      `tensor "${name}": ${e.dtype}[${shape.join(", ")}] needs ${need} bytes, but data_offsets ` +
        `[${begin}, ${end}] hold ${end - begin}`,
    );
  }
  return { name, type, dtypeName: String(e.dtype), shape, begin, end };
}

/**
 * Decodes safetensors bytes. `source` (a file name) is used in error messages, which say what
 * the format expects and what the bytes hold: a truncated file, a bad header, offsets that
 * overlap, leave holes or reach past the end.
 */
export function decodeSafetensors(bytes: Uint8Array, source = "safetensors data"): Safetensors {
  if (bytes.length < 8) {
    fail(source, `expected an 8-byte header length, but the file has ${bytes.length} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerBytes = Number(view.getBigUint64(0, true));
  if (headerBytes > MAX_HEADER_BYTES || 8 + headerBytes > bytes.length) {
    fail(
      source,
      `the header length field says ${headerBytes} bytes of JSON, but the file has ` +
        `${bytes.length - 8} bytes after it (truncated, or not a safetensors file)`,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(
      bytes.subarray(8, 8 + headerBytes),
    ));
  } catch (e) {
    fail(source, `the ${headerBytes}-byte header is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  if (typeof header !== "object" || header === null || globalThis.Array.isArray(header)) {
    fail(source, `the header must be a JSON object, found ${JSON.stringify(header)}`);
  }
  const { __metadata__: rawMeta = {}, ...rawEntries } = header as Record<string, unknown>;
  const metadata = rawMeta as Record<string, unknown>;
  if (
    typeof metadata !== "object" || metadata === null ||
    !Object.values(metadata).every((v) => typeof v === "string")
  ) {
    fail(source, `__metadata__ must map strings to strings, found ${JSON.stringify(rawMeta)}`);
  }
  const entries = Object.entries(rawEntries).map(([n, e]) => parseEntry(source, n, e));
  const dataBytes = bytes.length - 8 - headerBytes;
  let expected = 0;
  for (const e of [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end)) {
    if (e.begin !== expected) {
      fail(
        source,
        `tensor "${e.name}" starts at byte ${e.begin} of the data, expected ${expected}: ` +
          `tensors must be stored back to back without overlaps or holes`,
      );
    }
    expected = e.end;
  }
  if (expected !== dataBytes) {
    fail(
      source,
      `the header describes ${expected} bytes of tensor data, but the file has ${dataBytes} ` +
        (dataBytes < expected ? "(truncated)" : "(extra bytes at the end)"),
    );
  }
  const base = 8 + headerBytes;
  const tensors: Record<string, ConcreteArray> = {};
  for (const e of entries) {
    const { native, get, bytes: width, dtype } = e.type;
    let out: TypedArray;
    if (native) {
      out = native(bytes.slice(base + e.begin, base + e.end).buffer);
    } else {
      out = allocTyped(dtype, (e.end - e.begin) / width);
      try {
        for (let j = 0; j < out.length; j++) out[j] = get!(view, base + e.begin + j * width);
      } catch (err) {
        fail(source, `tensor "${e.name}" (${e.dtypeName}): ${(err as Error).message}`);
      }
    }
    tensors[e.name] = ConcreteArray.fromHost(out, e.shape, dtype);
  }
  return { tensors, metadata: metadata as Record<string, string> };
}

/** The path of every leaf of a structure, in `flatten` order: `layers.0.w`. */
export function leafPaths(def: TreeDef): string[] {
  const out: string[] = [];
  const walk = (d: TreeDef, path: string[]) => {
    if (d.kind === "leaf") out.push(path.join("."));
    d.children.forEach((c, i) => walk(c, [...path, d.kind === "array" ? String(i) : d.keys[i]]));
  };
  walk(def, []);
  return out;
}

/** The structure as JSON, with each leaf replaced by its tensor name. */
function structureJson(def: TreeDef, names: string[]): unknown {
  let i = 0;
  const build = (d: TreeDef): unknown => {
    switch (d.kind) {
      case "leaf":
        return names[i++];
      case "none":
        return null;
      case "array":
        return d.children.map(build);
      case "object":
        return Object.fromEntries(d.keys.map((k, j) => [k, build(d.children[j])]));
    }
  };
  return build(def);
}

function fromStructureJson(
  source: string,
  json: unknown,
  tensors: Record<string, ConcreteArray>,
): Tree<ConcreteArray> {
  if (typeof json === "string") {
    if (!(json in tensors)) fail(source, `${TREE_KEY} names tensor "${json}", which is missing`);
    return tensors[json];
  }
  if (json === null) return null;
  if (globalThis.Array.isArray(json)) return json.map((j) => fromStructureJson(source, j, tensors));
  if (typeof json === "object") {
    return Object.fromEntries(
      Object.entries(json).map(([k, j]) => [k, fromStructureJson(source, j, tensors)]),
    );
  }
  return fail(source, `${TREE_KEY} holds ${JSON.stringify(json)}, expected a tree of names`);
}

/** Rebuilds nested objects from dotted names; objects keyed 0..n-1 become lists. */
function fromDottedNames(
  source: string,
  tensors: Record<string, ConcreteArray>,
): Tree<ConcreteArray> {
  const root: Record<string, unknown> = {};
  for (const [name, t] of Object.entries(tensors)) {
    const parts = name.split(".");
    let node = root;
    for (const p of parts.slice(0, -1)) {
      node[p] ??= {};
      if (node[p] instanceof Array) {
        fail(source, `tensor "${name}" is nested under another tensor, "${p}"`);
      }
      node = node[p] as Record<string, unknown>;
    }
    const last = parts[parts.length - 1];
    if (last in node) fail(source, `tensor "${name}" has tensors nested under it`);
    node[last] = t;
  }
  const listify = (x: unknown): unknown => {
    if (x instanceof Array || typeof x !== "object" || x === null) return x;
    const entries = Object.entries(x).map(([k, v]) => [k, listify(v)] as const);
    const isList = entries.length > 0 && entries.every(([k]) => /^\d+$/.test(k)) &&
      entries.every((_, i) => i in x);
    return isList
      ? entries.sort(([a], [b]) => Number(a) - Number(b)).map(([, v]) => v)
      : Object.fromEntries(entries);
  };
  return listify(root) as Tree<ConcreteArray>;
}

/** Options for `saveCheckpoint`. */
export interface SaveOptions {
  /** Extra string entries for `__metadata__` (e.g. the epoch). */
  metadata?: Record<string, string>;
}

/**
 * Encodes a pytree of arrays as safetensors bytes: tensor names are leaf paths, and the
 * structure goes in `__metadata__`.
 */
export async function encodeCheckpoint(
  tree: Tree<Array>,
  options: SaveOptions = {},
): Promise<Uint8Array> {
  const [leaves, def] = flatten(tree);
  const names = leafPaths(def);
  const tensors: Record<string, Array> = {};
  leaves.forEach((leaf, i) => {
    if (!(leaf instanceof Array)) {
      throw new AdjointError(
        "saveCheckpoint",
        `leaves must be arrays, found ${typeof leaf} at "${names[i]}"`,
      );
    }
    if (names[i] in tensors) {
      throw new AdjointError(
        "saveCheckpoint",
        `two leaves have the path "${names[i]}" (a key containing "."?); rename one`,
      );
    }
    tensors[names[i]] = leaf;
  });
  const metadata = { ...options.metadata, [TREE_KEY]: JSON.stringify(structureJson(def, names)) };
  return await encodeSafetensors(tensors, metadata);
}

/**
 * Saves a pytree of arrays to `path` as safetensors and returns the path. The file is written
 * next to its destination and renamed, so an interrupted save leaves the old checkpoint intact.
 * Needs `--allow-write`.
 */
export async function saveCheckpoint(
  path: string,
  tree: Tree<Array>,
  options: SaveOptions = {},
): Promise<string> {
  const bytes = await encodeCheckpoint(tree, options);
  const partial = `${path}.partial`;
  await Deno.writeFile(partial, bytes);
  await Deno.rename(partial, path);
  return path;
}

/** Options for `loadCheckpoint`. */
export interface LoadOptions {
  /**
   * A tree the checkpoint must match in structure, shapes and dtypes (e.g. freshly initialised
   * parameters); a mismatch is an error naming the first differing path.
   */
  like?: Tree<Array>;
}

function checkLike(source: string, tree: Tree<ConcreteArray>, like: Tree<Array>): void {
  const [got, gotDef] = flatten(tree);
  const [want, wantDef] = flatten(like);
  const diff = treeDifference(wantDef, gotDef, "params");
  if (diff) fail(source, `the checkpoint's tree differs from the expected one ${diff}`);
  const names = leafPaths(wantDef);
  want.forEach((w, i) => {
    const g = got[i] as Array;
    if (!(w instanceof Array)) return;
    if (g.dtype !== w.dtype || g.shape.join() !== w.shape.join()) {
      fail(
        source,
        `"${names[i]}" is ${shortName(g.dtype)}[${g.shape.join(",")}] in the checkpoint, ` +
          `expected ${shortName(w.dtype)}[${w.shape.join(",")}]`,
      );
    }
  });
}

/**
 * Decodes safetensors bytes into a pytree: the structure recorded by `encodeCheckpoint`, or for
 * files from other tools, nested objects from the dotted names (`a.0.b`; keys 0..n-1 make lists).
 */
export function decodeCheckpoint(
  bytes: Uint8Array,
  options: LoadOptions & { source?: string } = {},
): Tree<ConcreteArray> {
  const source = options.source ?? "checkpoint";
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  let tree: Tree<ConcreteArray>;
  if (TREE_KEY in metadata) {
    let json: unknown;
    try {
      json = JSON.parse(metadata[TREE_KEY]);
    } catch (e) {
      fail(source, `__metadata__["${TREE_KEY}"] is not valid JSON: ${(e as Error).message}`);
    }
    tree = fromStructureJson(source, json, tensors);
  } else {
    tree = fromDottedNames(source, tensors);
  }
  if (options.like !== undefined) {
    checkLike(source, tree, options.like);
    tree = unflatten(flatten(options.like)[1], flatten(tree)[0]);
  }
  return tree;
}

/** Loads a pytree saved by `saveCheckpoint` (or any safetensors file). Needs `--allow-read`. */
export async function loadCheckpoint(
  path: string,
  options: LoadOptions = {},
): Promise<Tree<ConcreteArray>> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new AdjointError(
      "loadCheckpoint",
      `${path}: cannot read the file: ${(e as Error).message}`,
    );
  }
  return decodeCheckpoint(bytes, { ...options, source: path });
}
