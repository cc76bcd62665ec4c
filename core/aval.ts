/**
 * Abstract values: what tracing knows about an array (its shape and dtype), not its contents.
 * @module
 */
import { type DType, shortName } from "./dtype.ts";
import { type Shape, shapeEqual, sizeOf } from "./shape.ts";

/** The abstract value of an array: shape and dtype. */
export class ShapedArray {
  /** Creates an abstract value. */
  constructor(readonly shape: Shape, readonly dtype: DType) {}
  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }
  /** Number of elements. */
  get size(): number {
    return sizeOf(this.shape);
  }
  /** Structural equality. */
  equals(other: ShapedArray): boolean {
    return this.dtype === other.dtype && shapeEqual(this.shape, other.shape);
  }
  /** `f32[2,3]`, as in JAX's jaxprs. */
  toString(): string {
    return `${shortName(this.dtype)}[${this.shape.join(",")}]`;
  }
}
