/**
 * The backend interface: where array buffers live and primitives execute.
 *
 * core/ never looks inside a buffer; a backend (kernels/ref, kernels/wasm, kernels/webgpu)
 * registers itself here and is chosen per array, so new backends plug in without touching core/.
 * @module
 */
import type { ConcreteArray } from "./array.ts";
import type { ShapedArray } from "./aval.ts";
import type { Jaxpr } from "./jaxpr.ts";
import type { TypedArray } from "./dtype.ts";
import type { Params } from "./primitive.ts";
import { AdjointError } from "./errors.ts";

/** An opaque handle to an array's storage on some backend. */
export type DeviceBuffer = unknown;

/** Options of one call of a compiled program. */
export interface RunOptions {
  /**
   * Run the program beside op-by-op execution and throw an error naming the first kernel whose
   * output differs (`jit`'s `check`).
   */
  check?: boolean;
}

/** A jaxpr compiled for a backend: runs on that backend's arrays. */
export type CompiledProgram = (args: ConcreteArray[], options?: RunOptions) => ConcreteArray[];

/**
 * Throws unless `data` holds exactly one element per element of `aval`: a shorter array would
 * leave a buffer whose end no one wrote, read by kernels as whatever memory held before.
 */
export function checkHostData(backend: string, data: TypedArray, aval: ShapedArray): void {
  if (data.length !== aval.size) {
    throw new AdjointError(
      `${backend} backend`,
      `host data of ${data.length} elements given for an array of type ${aval} ` +
        `(${aval.size} elements); expected exactly ${aval.size}`,
    );
  }
}

/** What every backend provides. */
export interface Backend {
  /** Registry name, e.g. `"ref"`. */
  readonly name: string;
  /**
   * Copies host data (already of the aval's dtype, one element per element of the aval: see
   * `checkHostData`) into a new buffer.
   */
  fromHost(data: TypedArray, aval: ShapedArray): DeviceBuffer;
  /** Reads a buffer back synchronously, or `undefined` if this backend cannot (e.g. WebGPU). */
  readSync(buffer: DeviceBuffer, aval: ShapedArray): TypedArray | undefined;
  /** Reads a buffer back to the host. */
  read(buffer: DeviceBuffer, aval: ShapedArray): Promise<TypedArray>;
  /** Executes one primitive on input buffers, returning one buffer per output aval. */
  execute(
    primitive: string,
    inputs: DeviceBuffer[],
    inAvals: ShapedArray[],
    params: Params,
    outAvals: ShapedArray[],
  ): DeviceBuffer[];
  /** Releases a buffer early (optional: garbage collection also reclaims it). */
  dispose?(buffer: DeviceBuffer): void;
  /**
   * Compiles a jaxpr into a function over this backend's arrays (optional: else interpreted).
   * With `sync`, compilation finishes before this returns; otherwise the function may interpret
   * the jaxpr until compilation completes in the background (and runs no check meanwhile).
   */
  compile?(jaxpr: Jaxpr, options: { sync: boolean }): CompiledProgram;
  /** What compiling a jaxpr produces, for inspection: e.g. the kernel program and its code. */
  describe?(jaxpr: Jaxpr): Record<string, string>;
}

const backends = new Map<string, Backend>();

/** `ADJOINT_BACKEND` when the environment may be read without a permission prompt. */
function backendFromEnv(): string | undefined {
  try {
    const status = Deno.permissions.querySync({ name: "env", variable: "ADJOINT_BACKEND" });
    return status.state === "granted" ? Deno.env.get("ADJOINT_BACKEND") || undefined : undefined;
  } catch {
    return undefined;
  }
}

let defaultName = backendFromEnv() ?? "wasm";

/** Registers a backend under its name. */
export function registerBackend(backend: Backend): void {
  backends.set(backend.name, backend);
}

/** Looks a backend up by name (the default backend when `name` is omitted). */
export function getBackend(name: string = defaultName): Backend {
  const b = backends.get(name);
  if (!b) {
    throw new AdjointError(
      "getBackend",
      `unknown backend "${name}"; expected one of ${[...backends.keys()].join(", ")}`,
    );
  }
  return b;
}

/** Makes `name` the backend that new arrays are placed on. */
export function setDefaultBackend(name: string): void {
  getBackend(name);
  defaultName = name;
}

/** The name of the current default backend. */
export function defaultBackendName(): string {
  return defaultName;
}

/** Runs `fn` with `name` as the default backend, restoring the previous default afterwards. */
export function withDefaultBackend<T>(name: string, fn: () => T): T {
  const previous = defaultName;
  setDefaultBackend(name);
  try {
    return fn();
  } finally {
    defaultName = previous;
  }
}
