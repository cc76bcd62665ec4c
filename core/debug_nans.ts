/**
 * NaN checking (`config.debugNans`, JAX's `jax_debug_nans`). Each primitive run eagerly has its
 * float outputs scanned, and the first that makes a NaN or an infinity which none of its inputs
 * held is named, with its inputs' types and the line of user code that called it. (A value that
 * arrives already non-finite, such as a `-Infinity` padding constant, is passed on silently: the
 * error is about where one is made.) A jitted call's outputs are scanned too; when they hold one,
 * the function is run again without jit, op by op, so that the primitive that made it is named
 * as if jit were not there, as JAX does. Arrays that can only be read asynchronously (webgpu)
 * are not scanned.
 * @module
 */
import type { Array, ConcreteArray } from "./array.ts";
import { isFloat, type TypedArray } from "./dtype.ts";
import { elementIndexStr } from "./shape.ts";
import { AdjointError } from "./errors.ts";

/** The error `config.debugNans` raises: a primitive made a NaN or an infinity. */
export class NonFiniteError extends AdjointError {
  /** Names the primitive, what it made, where, and from what. */
  constructor(op: string, detail: string) {
    super(op, detail);
    this.name = "NonFiniteError";
  }
}

type Kind = "NaN" | "an infinity";

const isKind = (x: number, kind: Kind) =>
  kind === "NaN" ? Number.isNaN(x) : Math.abs(x) === Infinity;

/** A float array's contents when they can be read synchronously, else `undefined`. */
function floatData(x: Array): TypedArray | undefined {
  const c = x as ConcreteArray;
  if (!isFloat(x.dtype) || !c.backend) return undefined;
  return c.backend.readSync(c.buffer, c.aval);
}

/** The first element of `xs` that is of `kind`, or -1. */
function first(xs: TypedArray, kind: Kind): number {
  return xs.findIndex((x) => isKind(x, kind));
}

/**
 * Throws a NonFiniteError when an output of primitive `prim` holds a NaN (an infinity) and none
 * of its inputs does.
 */
export function checkFinite(prim: string, inputs: ConcreteArray[], outputs: ConcreteArray[]) {
  outputs.forEach((out, j) => {
    const data = floatData(out);
    if (!data) return;
    for (const kind of ["NaN", "an infinity"] as const) {
      const at = first(data, kind);
      if (
        at < 0 || inputs.some((x) => {
          const d = floatData(x);
          return d && first(d, kind) >= 0;
        })
      ) {
        continue;
      }
      const which = outputs.length > 1 ? `output ${j}` : "output";
      const from = inputs.map((x) => describeInput(x, at, out.size)).join(", ");
      throw new NonFiniteError(
        prim,
        `made ${data[at]} at element ${elementIndexStr(out.shape, at)} of its ${which} ` +
          `${out.aval}${from ? ` from input${inputs.length > 1 ? "s" : ""} ${from}` : ""}; ` +
          `config.debugNans stops at the first primitive that makes a NaN or an infinity`,
      );
    }
  });
}

/** An input's type, and its value at the output's element when that is clear. */
function describeInput(x: ConcreteArray, at: number, outSize: number): string {
  const data = x.backend.readSync(x.buffer, x.aval);
  if (!data || (x.size !== 1 && x.size !== outSize)) return String(x.aval);
  return x.size === 1 ? `${x.aval} ${data[0]}` : `${x.aval} (${data[at]} there)`;
}

/**
 * Runs a jitted call under debugNans: when its outputs hold a NaN or an infinity, or it raised
 * a NonFiniteError while interpreting its program, `deoptimized` (the function without jit)
 * runs to name the primitive that made it from inside the user's function. If that makes none
 * but gives finite values where the compiled outputs do not, the compiled program is at fault.
 */
export function findNonFinite(compiled: () => Array[], deoptimized: () => Array[]): Array[] {
  let outs: Array[];
  try {
    outs = compiled();
  } catch (e) {
    if (e instanceof NonFiniteError) deoptimized();
    throw e;
  }
  const bad = outs.map((x) => {
    const data = floatData(x);
    return data ? data.findIndex((v) => !Number.isFinite(v)) : -1;
  });
  if (bad.every((at) => at < 0)) return outs;
  const again = deoptimized();
  bad.forEach((at, j) => {
    if (at < 0) return;
    const got = floatData(outs[j])![at], want = floatData(again[j])?.[at];
    if (want === undefined || Object.is(got, want) || Number.isNaN(got) && Number.isNaN(want)) {
      return;
    }
    throw new AdjointError(
      "jit",
      `output ${j} (${outs[j].aval}) of the compiled program holds ${got} at ` +
        `${
          elementIndexStr(outs[j].shape, at)
        } where the function run without jit gives ${want}, and no ` +
        `primitive made a NaN or infinity: a fault of Adjoint's compiler. jit(f, { check: true }) ` +
        `names the kernel that differs.`,
    );
  });
  return outs;
}
