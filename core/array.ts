/**
 * Arrays: immutable n-dimensional values. `Array` is the type user functions see; it is either a
 * `ConcreteArray` holding a backend buffer or a `Tracer` standing for a value under a transformation.
 *
 * Methods (`x.add(y)`, `x.sum()`) forward to the numpy layer, which installs them with
 * `installArrayMethods` (core/method_table.ts) so that core/ does not depend on numpy/.
 * @module
 */
import { formatData } from "./array_format.ts";
import { ShapedArray } from "./aval.ts";
import { type Backend, type DeviceBuffer, getBackend } from "./backend.ts";
import type { DType, TypedArray } from "./dtype.ts";
import { AdjointError } from "./errors.ts";
import type { Index, IndexUpdateRef } from "./index_types.ts";
import { arrayMethods as m } from "./method_table.ts";
import type { ArgReductionOptions, Axis, ReductionOptions } from "./reduction_options.ts";
import type { Shape } from "./shape.ts";

/** What numpy functions accept in place of an array: an array or a JS scalar (weakly typed). */
export type ArrayLike = Array | number | boolean;

/** Nested JS arrays of numbers, as returned by `toArray()`. */
export type NestedNumbers = number | boolean | NestedNumbers[];

/** An immutable n-dimensional array, concrete or traced. */
export abstract class Array {
  /** Shape and dtype. */
  abstract get aval(): ShapedArray;
  /** Dimensions, e.g. `[2, 3]`. */
  get shape(): Shape {
    return this.aval.shape;
  }
  /** Element type. */
  get dtype(): DType {
    return this.aval.dtype;
  }
  /** Number of dimensions. */
  get ndim(): number {
    return this.aval.ndim;
  }
  /** Number of elements. */
  get size(): number {
    return this.aval.size;
  }
  /** The concrete value behind this array, or throws if it is only known at run time. */
  abstract concrete(what: string): ConcreteArray;

  /** Contents as nested JS arrays (a number for a scalar). */
  toArray(): NestedNumbers {
    return m().toArray(this.concrete("toArray"));
  }
  /** The single element of a size-1 array as a JS number (booleans as 0/1). */
  item(): number {
    const c = this.concrete("item");
    if (c.size !== 1) {
      throw new AdjointError("item", `expected an array of size 1, got shape [${c.shape}]`);
    }
    return Number(c.dataSync()[0]);
  }
  /** Contents as a flat typed array; works on every backend. */
  read(): Promise<TypedArray> {
    return this.concrete("read").readAsync();
  }
  /** What `console.log` and `Deno.inspect` show: `toString()`. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
  /** Scalars convert to numbers in JS arithmetic and comparisons (not under `jit` or `vmap`). */
  [Symbol.toPrimitive](hint: string): number | string {
    if (hint === "string") return this.toString();
    return this.item();
  }

  /** `this + y` with broadcasting. */
  add(y: ArrayLike): Array {
    return m().add(this, y);
  }
  /** `this - y`. */
  sub(y: ArrayLike): Array {
    return m().sub(this, y);
  }
  /** `this * y`. */
  mul(y: ArrayLike): Array {
    return m().mul(this, y);
  }
  /** `this / y` (true division). */
  div(y: ArrayLike): Array {
    return m().div(this, y);
  }
  /** `this ** y`. */
  pow(y: ArrayLike): Array {
    return m().pow(this, y);
  }
  /** Elementwise maximum. */
  maximum(y: ArrayLike): Array {
    return m().maximum(this, y);
  }
  /** Elementwise minimum. */
  minimum(y: ArrayLike): Array {
    return m().minimum(this, y);
  }
  /** `-this`. */
  neg(): Array {
    return m().neg(this);
  }
  /** Elementwise `e^x`. */
  exp(): Array {
    return m().exp(this);
  }
  /** Elementwise natural logarithm. */
  log(): Array {
    return m().log(this);
  }
  /** Elementwise sine. */
  sin(): Array {
    return m().sin(this);
  }
  /** Elementwise cosine. */
  cos(): Array {
    return m().cos(this);
  }
  /** Elementwise hyperbolic tangent. */
  tanh(): Array {
    return m().tanh(this);
  }
  /** Elementwise square root. */
  sqrt(): Array {
    return m().sqrt(this);
  }
  /** Elementwise absolute value. */
  abs(): Array {
    return m().abs(this);
  }
  /** Elementwise square. */
  square(): Array {
    return m().square(this);
  }
  /** `max(x, 0)`. */
  relu(): Array {
    return m().relu(this);
  }
  /** `1 / (1 + e^-x)`. */
  sigmoid(): Array {
    return m().sigmoid(this);
  }
  /** `this > y` as a bool array. */
  gt(y: ArrayLike): Array {
    return m().greater(this, y);
  }
  /** `this >= y`. */
  ge(y: ArrayLike): Array {
    return m().greaterEqual(this, y);
  }
  /** `this < y`. */
  lt(y: ArrayLike): Array {
    return m().less(this, y);
  }
  /** `this <= y`. */
  le(y: ArrayLike): Array {
    return m().lessEqual(this, y);
  }
  /** `this == y`. */
  eq(y: ArrayLike): Array {
    return m().equal(this, y);
  }
  /** `this != y`. */
  ne(y: ArrayLike): Array {
    return m().notEqual(this, y);
  }
  /** Sum over `axis` (all axes by default), positionally or as `{ axis, keepdims }`. */
  sum(axis?: Axis | ReductionOptions, keepdims?: boolean): Array {
    return m().sum(this, axis, keepdims);
  }
  /** Mean over `axis` (all axes by default), positionally or as `{ axis, keepdims }`. */
  mean(axis?: Axis | ReductionOptions, keepdims?: boolean): Array {
    return m().mean(this, axis, keepdims);
  }
  /** Maximum over `axis` (all axes by default), positionally or as `{ axis, keepdims }`. */
  max(axis?: Axis | ReductionOptions, keepdims?: boolean): Array {
    return m().max(this, axis, keepdims);
  }
  /** Minimum over `axis` (all axes by default), positionally or as `{ axis, keepdims }`. */
  min(axis?: Axis | ReductionOptions, keepdims?: boolean): Array {
    return m().min(this, axis, keepdims);
  }
  /** Index of the maximum along `axis` (of the flattened array by default). */
  argmax(axis?: number | null | ArgReductionOptions, keepdims?: boolean): Array {
    return m().argmax(this, axis, keepdims);
  }
  /** Index of the minimum along `axis` (of the flattened array by default). */
  argmin(axis?: number | null | ArgReductionOptions, keepdims?: boolean): Array {
    return m().argmin(this, axis, keepdims);
  }
  /** Same elements, new shape (one dimension may be -1). */
  reshape(shape: number[]): Array {
    return m().reshape(this, shape);
  }
  /** Permutes axes (reverses them by default). */
  transpose(axes?: number[]): Array {
    return m().transpose(this, axes);
  }
  /** Removes size-1 axes. */
  squeeze(axis?: number | number[]): Array {
    return m().squeeze(this, axis);
  }
  /** Inserts size-1 axes. */
  expandDims(axis: number | number[]): Array {
    return m().expandDims(this, axis);
  }
  /** Matrix product with NumPy's `matmul` semantics. */
  matmul(y: Array): Array {
    return m().matmul(this, y);
  }
  /** NumPy's `dot`. */
  dot(y: Array): Array {
    return m().dot(this, y);
  }
  /** Converts to another dtype. */
  astype(dtype: DType): Array {
    return m().astype(this, dtype);
  }
  /** Transpose of all axes. */
  get T(): Array {
    return m().transpose(this);
  }
  /**
   * JAX's `x.at[idx]`: functional updates at the elements `np.index(x, ...idx)` selects, e.g.
   * `x.at(0, np.s(1, 3)).set(0)` or `x.at([0, 0, 2]).add(1)` (repeats accumulate).
   */
  at(...idx: Index[]): IndexUpdateRef {
    return m().at(this, idx);
  }
}

const finalizer = new FinalizationRegistry<{ backend: Backend; buffer: DeviceBuffer }>(
  ({ backend, buffer }) => backend.dispose?.(buffer),
);

/** An array whose contents live in a backend buffer. */
export class ConcreteArray extends Array {
  #buffer: DeviceBuffer | null;
  #gone = "";
  /**
   * Wraps a buffer; the garbage collector releases it when the array is unreachable.
   * An uncommitted array (a constant such as the `2` in `x.mul(2)`, or `np.zeros`, and what is
   * computed from constants alone) moves to the backend of the arrays it meets, as in JAX.
   */
  constructor(
    readonly aval: ShapedArray,
    buffer: DeviceBuffer,
    readonly backend: Backend,
    readonly committed: boolean = true,
  ) {
    super();
    this.#buffer = buffer;
    if (backend.dispose) finalizer.register(this, { backend, buffer }, this);
  }
  /**
   * Creates an array from host data of the right dtype and length, on `backend` (committed to
   * it) or on the default backend (uncommitted: it follows the arrays it is combined with).
   */
  static fromHost(
    data: TypedArray,
    shape: Shape,
    dtype: DType,
    backend?: string,
    committed: boolean = backend !== undefined,
  ): ConcreteArray {
    const b = getBackend(backend);
    const aval = new ShapedArray([...shape], dtype);
    return new ConcreteArray(aval, b.fromHost(data, aval), b, committed);
  }
  /** The backend buffer (throws once disposed). */
  get buffer(): DeviceBuffer {
    if (this.#buffer === null) {
      throw new AdjointError("Array", `this array ${this.#gone} and can no longer be used`);
    }
    return this.#buffer;
  }
  /** Whether the buffer was released (disposed or donated). */
  get released(): boolean {
    return this.#buffer === null;
  }
  /** Itself. */
  concrete(): ConcreteArray {
    return this;
  }
  /** Contents as a typed array; throws on backends that can only read asynchronously. */
  dataSync(): TypedArray {
    const data = this.backend.readSync(this.buffer, this.aval);
    if (!data) {
      throw new AdjointError(
        "toArray",
        `arrays on the ${this.backend.name} backend can only be read asynchronously; ` +
          `use await x.read()`,
      );
    }
    return data;
  }
  /** Contents as a typed array, read asynchronously. */
  readAsync(): Promise<TypedArray> {
    return this.backend.read(this.buffer, this.aval);
  }
  /** Releases the buffer now instead of waiting for garbage collection. */
  [Symbol.dispose](): void {
    this.release("was disposed");
  }
  /**
   * Releases the buffer now; later uses fail with an error saying the array `why` (e.g. "was
   * donated to jit"). Does nothing when already released.
   */
  release(why: string): void {
    if (this.#buffer === null) return;
    finalizer.unregister(this);
    this.backend.dispose?.(this.#buffer);
    this.#buffer = null;
    this.#gone = why;
  }
  /**
   * `Array(f32[3], wasm) [1., 2., 3.]`, NumPy-style (large arrays summarised with `...`);
   * `[...]` on backends read only asynchronously.
   */
  override toString(): string {
    const head = `Array(${this.aval}, ${this.backend.name})`;
    if (this.released) return `${head} (${this.#gone})`;
    const data = this.backend.readSync(this.buffer, this.aval);
    if (!data) return `${head} [...] (read with await x.read())`;
    const body = formatData(data, this.shape, this.dtype);
    return body.includes("\n") ? `${head}\n${body}` : `${head} ${body}`;
  }
}
