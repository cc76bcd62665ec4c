/**
 * Running random programs everywhere and comparing: each program's checked function (its value,
 * gradient, Hessian or vmap) runs eagerly on ref (the semantics), eagerly on wasm, and jitted
 * on wasm and on WebGPU, where all the programs of a bundle are jitted as one function (one
 * compile for many programs). On ref, a vmap is also checked against a loop of calls and a
 * gradient against forward mode in a random direction.
 *
 * Tolerances: exact for int32 and bool; for floats `|got - want| <= tol * (|want| + scale) + floor`,
 * where `scale` is the output's largest magnitude (sums cancel), with tol 2e-4 and floor 1e-5 in
 * float32 (transcendental functions differ by ulps between backends; sums add in other orders)
 * and 1e-9 and 1e-12 in float64. NaNs must match NaNs and infinities infinities.
 * @module
 */
import { type Array, jit, jvp, numpy as np, toBackendAsync, tree } from "../../mod.ts";
import { withDefaultBackend } from "../../core/backend.ts";
import type { DType } from "../../core/dtype.ts";
import {
  checkedArguments,
  checkedFunction,
  type HostArray,
  lossFunction,
  mappedFunction,
  place,
  programFunction,
} from "./functions.ts";
import { type Program, typeOf, usesFloat64 } from "./programs.ts";
import { sizeOf } from "./types.ts";

/** An output read back to the host. */
export interface Leaf {
  data: Float64Array;
  shape: number[];
  dtype: DType;
}

/** A disagreement: which check, which program of the bundle, what differed. */
export interface Failure {
  oracle: string;
  program: number;
  message: string;
}

/** Where to run besides ref and eager wasm. */
export interface Targets {
  /** Whether to jit on WebGPU (programs without float64). */
  webgpu: boolean;
  /** Milliseconds spent per oracle, accumulated when given. */
  timings?: Map<string, number>;
}

const TOL: Record<DType, number> = { float32: 2e-4, float64: 1e-9, int32: 0, bool: 0 };
const FLOOR: Record<DType, number> = { float32: 1e-5, float64: 1e-12, int32: 0, bool: 0 };

function host(x: Array): Leaf {
  const c = x.concrete("fuzz");
  return { data: Float64Array.from(c.dataSync()), shape: [...x.shape], dtype: x.dtype };
}

async function hostAsync(x: Array): Promise<Leaf> {
  const data = await x.read();
  return { data: Float64Array.from(data), shape: [...x.shape], dtype: x.dtype };
}

function leavesOf(t: unknown): Array[] {
  return tree.leaves(t as never) as Array[];
}

/** The float tolerance of a program: float64's only when every value is float64. */
function precision(p: Program): DType {
  const all = [...p.inputs, ...p.nodes].every((v) => v.type.dtype === "float64");
  return all ? "float64" : "float32";
}

/** The first difference between `got` and `want`, or null; floats within `precision`'s tolerance. */
export function difference(
  got: readonly Leaf[],
  want: readonly Leaf[],
  precision: DType = "float32",
): string | null {
  if (got.length !== want.length) return `${got.length} outputs, expected ${want.length}`;
  for (let j = 0; j < want.length; j++) {
    const g = got[j], w = want[j];
    if (g.dtype !== w.dtype) return `output ${j} is ${g.dtype}, expected ${w.dtype}`;
    if (g.shape.join() !== w.shape.join()) {
      return `output ${j} has shape [${g.shape}], expected [${w.shape}]`;
    }
    const kind = w.dtype === "float64" ? precision : w.dtype;
    const tol = TOL[kind], floor = FLOOR[kind];
    let scale = 0;
    for (const v of w.data) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < w.data.length; i++) {
      const a = g.data[i], b = w.data[i];
      const same = a === b || (Number.isNaN(a) && Number.isNaN(b)) ||
        (Number.isFinite(a) && Number.isFinite(b) &&
          Math.abs(a - b) <= tol * (Math.abs(b) + scale) + floor);
      if (!same) {
        return `output ${j} [${w.shape}] element ${i}: got ${a}, expected ${b} ` +
          `(got [${[...g.data].slice(0, 12)}${g.data.length > 12 ? ", ..." : ""}])`;
      }
    }
  }
  return null;
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

type Attempt<T> = { ok: T } | { failure: Failure };

/** Runs `fn`, turning a throw into a failure of `oracle`. */
async function timed<T>(
  oracle: string,
  program: number,
  fn: () => T | Promise<T>,
  timings?: Map<string, number>,
): Promise<Attempt<T>> {
  const start = performance.now();
  try {
    return { ok: await fn() };
  } catch (e) {
    return { failure: { oracle, program, message: `threw ${describe(e)}` } };
  } finally {
    timings?.set(oracle, (timings.get(oracle) ?? 0) + performance.now() - start);
  }
}

/** Checks that every node computes the type the generator predicted. */
function checkTypes(p: Program, args: Array[]): string | null {
  let wrong: string | null = null;
  const f = programFunction(p, (id, v) => {
    const t = typeOf(p, id);
    if (wrong === null && (v.dtype !== t.dtype || v.shape.join() !== t.shape.join())) {
      wrong = `v${id} is ${v.dtype}[${v.shape}], generator predicted ${t.dtype}[${t.shape}]`;
    }
  });
  f(...args);
  return wrong;
}

/** vmap on ref against calls on slices, stacked. */
function vmapLoop(p: Program, args: HostArray[]): Leaf[] {
  if (p.mode.kind !== "vmap") return [];
  const { size, inAxes } = p.mode;
  const f = mappedFunction(p);
  const xs = args.map((a) => place(a, "ref"));
  const per = globalThis.Array.from({ length: size }, (_, b) =>
    leavesOf(f(...xs.map((x, i) => {
      const axis = inAxes[i];
      if (axis === null) return x;
      return np.take(x, np.array(b, "int32"), axis);
    }))));
  return per[0].map((_, j) => host(np.stack(per.map((outs) => outs[j]), 0)));
}

/** The directional derivative by forward mode, against the gradient's inner product. */
function jvpMismatch(p: Program, xs: Array[], grads: Leaf[]): string | null {
  if (p.mode.kind !== "grad") return null;
  const argnums = p.mode.argnums;
  const loss = lossFunction(p, p.mode.cotangents);
  const dirs = argnums.map((i, k) => {
    const n = sizeOf(xs[i].shape);
    const data = globalThis.Array.from({ length: n }, (_, e) => ((e * 7 + k * 3) % 5) / 4 - 0.5);
    return place({ data, shape: xs[i].shape, dtype: xs[i].dtype }, "ref");
  });
  const g = (...ys: Array[]) => {
    const all = [...xs];
    argnums.forEach((i, k) => (all[i] = ys[k]));
    return loss(...all);
  };
  const [, tangent] = jvp(g, argnums.map((i) => xs[i]), dirs);
  const want = host(tangent as Array).data[0];
  let got = 0, scale = 0;
  grads.forEach((gr, k) => {
    const d = host(dirs[k]).data;
    gr.data.forEach((v, e) => {
      got += v * d[e];
      scale += Math.abs(v * d[e]);
    });
  });
  const tol = TOL[precision(p)] * 10;
  const ok = Math.abs(got - want) <= tol * (Math.abs(want) + scale + 1) ||
    (Number.isNaN(got) && Number.isNaN(want));
  return ok ? null : `<grad, v> = ${got} but jvp gives ${want}`;
}

/** All the programs' checked functions as one function of all their arguments. */
function bundle(programs: readonly Program[]): (...xs: Array[]) => Array[] {
  const fns = programs.map(checkedFunction);
  const counts = programs.map((p) => p.inputs.length);
  return (...xs) => {
    let k = 0;
    return fns.flatMap((g, i) => leavesOf(g(...xs.slice(k, k += counts[i]))));
  };
}

/** Splits a bundle's outputs back into each program's. */
function splitOutputs<T>(outs: T[], counts: number[]): T[][] {
  let k = 0;
  return counts.map((n) => outs.slice(k, k += n));
}

/**
 * Runs every check on `programs`, returning the first failure (when `only` is given, only that
 * oracle and ref run: shrinking looks for the same failure, not another one).
 */
export async function check(
  programs: readonly Program[],
  targets: Targets,
  only?: string,
): Promise<Failure | null> {
  const args = programs.map(checkedArguments);
  const want: Leaf[][] = [];
  const attempt = <T>(oracle: string, program: number, fn: () => T | Promise<T>) =>
    timed(oracle, program, fn, targets.timings);
  const runs = (oracle: string) => only === undefined || only === oracle;
  for (const [i, p] of programs.entries()) {
    const xs = args[i].map((a) => place(a, "ref"));
    if (runs("types")) {
      const unbatched = p.inputs.map((x) => place({ ...x.type, data: x.data }, "ref"));
      const t = await attempt(
        "types",
        i,
        () => withDefaultBackend("ref", () => checkTypes(p, unbatched)),
      );
      if ("failure" in t) return t.failure;
      if (t.ok) return { oracle: "types", program: i, message: t.ok };
    }
    const r = await attempt(
      "ref",
      i,
      () => withDefaultBackend("ref", () => leavesOf(checkedFunction(p)(...xs)).map(host)),
    );
    if ("failure" in r) return r.failure;
    want.push(r.ok);
    if (p.mode.kind === "vmap" && runs("ref vmap vs loop")) {
      const loop = await attempt(
        "ref vmap vs loop",
        i,
        () => withDefaultBackend("ref", () => vmapLoop(p, args[i])),
      );
      if ("failure" in loop) return loop.failure;
      const d = difference(r.ok, loop.ok, precision(p));
      if (d) return { oracle: "ref vmap vs loop", program: i, message: d };
    }
    if (p.mode.kind === "grad" && runs("ref jvp vs grad")) {
      const grads = r.ok.slice(1);
      const m = await attempt(
        "ref jvp vs grad",
        i,
        () => withDefaultBackend("ref", () => jvpMismatch(p, xs, grads)),
      );
      if ("failure" in m) return m.failure;
      if (m.ok) return { oracle: "ref jvp vs grad", program: i, message: m.ok };
    }
    if (runs("eager wasm")) {
      const w = await attempt("eager wasm", i, () =>
        withDefaultBackend("wasm", () => {
          const ys = args[i].map((a) => place(a, "wasm"));
          return leavesOf(checkedFunction(p)(...ys)).map(host);
        }));
      if ("failure" in w) return w.failure;
      const d = difference(w.ok, r.ok, precision(p));
      if (d) return { oracle: "eager wasm", program: i, message: d };
    }
  }
  const counts = want.map((w) => w.length);
  if (runs("jit wasm")) {
    const out = await attempt("jit wasm", -1, () =>
      withDefaultBackend("wasm", () => {
        const ys = args.flat().map((a) => place(a, "wasm"));
        return (jit(bundle(programs), { compile: "sync" })(...ys) as Array[]).map(host);
      }));
    if ("failure" in out) return out.failure;
    const per = splitOutputs(out.ok, counts);
    for (const [i, w] of want.entries()) {
      const d = difference(per[i], w, precision(programs[i]));
      if (d) return { oracle: "jit wasm", program: i, message: d };
    }
  }
  const gpu = programs.flatMap((p, i) => (usesFloat64(p) ? [] : [i]));
  if (targets.webgpu && gpu.length && runs("jit webgpu")) {
    const out = await attempt("jit webgpu", -1, async () => {
      const ys = gpu.flatMap((i) => args[i]).map((a) => place(a, "ref"));
      const moved = await toBackendAsync(ys, "webgpu");
      const outs: Array[] = jit(bundle(gpu.map((i) => programs[i])), { backend: "webgpu" })(
        ...moved,
      );
      return await Promise.all(outs.map(hostAsync));
    });
    if ("failure" in out) return out.failure;
    const per = splitOutputs(out.ok, gpu.map((i) => counts[i]));
    for (const [k, i] of gpu.entries()) {
      const d = difference(per[k], want[i], precision(programs[i]));
      if (d) return { oracle: "jit webgpu", program: i, message: d };
    }
  }
  return null;
}
