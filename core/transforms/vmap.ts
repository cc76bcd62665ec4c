/**
 * Vectorising map. A `BatchTracer` is a value with a batch axis (or none); `BatchTrace` applies
 * each primitive's batching rule, so `vmap(f)` runs `f` once on whole batches.
 * @module
 */
import type { Array, ConcreteArray } from "../array.ts";
import { ShapedArray } from "../aval.ts";
import { AdjointError } from "../errors.ts";
import type { Params, Primitive } from "../primitive.ts";
import { loopBatchRule, moveBatchAxis } from "../primitives/batching.ts";
import { shapeStr } from "../shape.ts";
import {
  bind,
  bindCustomJvp,
  bindCustomVjp,
  type CustomBwdFun,
  type CustomFun,
  type CustomFwdFun,
  type CustomJvpFun,
  fullLower,
  fullRaise,
  type MainTrace,
  Trace,
  Tracer,
  withNewMain,
} from "../trace.ts";
import { broadcastPrefix, type Tree, unflatten } from "../tree.ts";
import { flattenArrays, flattenFun, type OutStore } from "./flat.ts";

/** A value with batch axis `bdim` (`null`: the same for every batch element). */
export class BatchTracer extends Tracer {
  /** Wraps `val` whose axis `bdim` is the batch. */
  constructor(readonly trace: BatchTrace, readonly val: Array, readonly bdim: number | null) {
    super();
  }
  /** The per-example type. */
  get aval(): ShapedArray {
    const a = this.val.aval;
    if (this.bdim === null) return a;
    return new ShapedArray(a.shape.filter((_, i) => i !== this.bdim), a.dtype);
  }
  /** Unbatched values lower to themselves. */
  override fullLower(): Array {
    return this.bdim === null ? fullLower(this.val) : this;
  }
  /** Batched values have no single concrete value. */
  override concreteValue(): ConcreteArray | null {
    return null;
  }
  /** For error messages. */
  get transformName(): string {
    return "vmap";
  }
}

const loopRules = new Map<Primitive, ReturnType<typeof loopBatchRule>>();

/** The batching interpreter; its global data is the batch size. */
export class BatchTrace extends Trace {
  /** Unbatched. */
  pure(val: Array): Array {
    return new BatchTracer(this, val, null);
  }
  /** Unbatched. */
  lift(val: Array): Array {
    return new BatchTracer(this, val, null);
  }
  private get axisSize(): number {
    return this.main.globalData as number;
  }
  /** Applies the batching rule (or loops, for primitives without one). */
  processPrimitive(prim: Primitive, tracers: Array[], params: Params): Array[] {
    const ts = tracers as BatchTracer[];
    const vals = ts.map((t) => t.val);
    const dims = ts.map((t) => t.bdim);
    if (dims.every((d) => d === null)) {
      return bind(prim, vals, params).map((v) => new BatchTracer(this, v, null));
    }
    let rule = prim.batch;
    if (!rule) {
      rule = loopRules.get(prim) ?? loopBatchRule(prim);
      loopRules.set(prim, rule);
    }
    const [outs, outDims] = rule(this.axisSize, vals, dims, params);
    return outs.map((o, i) => new BatchTracer(this, o, outDims[i]));
  }
  private batchedVals(tracers: Array[]): Array[] {
    return (tracers as BatchTracer[]).map((t) => moveBatchAxis(t.val, t.bdim, 0, this.axisSize));
  }
  /** Batches the function and its jvp rule, then applies them one level down. */
  override processCustomJvp(fun: CustomFun, jvp: CustomJvpFun, tracers: Array[]): Array[] {
    const vals = this.batchedVals(tracers);
    const batchedFun: CustomFun = (xs) => vmapFlat(fun, xs.map(() => 0), xs);
    const batchedJvp: CustomJvpFun = (ps, ts) => {
      let nOut = 0;
      const outs = vmapFlat(
        (all) => {
          const [o, t] = jvp(all.slice(0, ps.length), all.slice(ps.length));
          nOut = o.length;
          return [...o, ...t];
        },
        [...ps, ...ts].map(() => 0),
        [...ps, ...ts],
      );
      return [outs.slice(0, nOut), outs.slice(nOut)];
    };
    return bindCustomJvp(batchedFun, batchedJvp, vals).map((v) => new BatchTracer(this, v, 0));
  }
  /** Batches the function and both passes, then applies them one level down. */
  override processCustomVjp(
    fun: CustomFun,
    fwd: CustomFwdFun,
    bwd: CustomBwdFun,
    tracers: Array[],
  ): Array[] {
    const vals = this.batchedVals(tracers);
    const zeros = (xs: Array[]) => xs.map(() => 0);
    const batchedFun: CustomFun = (xs) => vmapFlat(fun, zeros(xs), xs);
    const batchedFwd: CustomFwdFun = (xs) => {
      let nOut = 0;
      const outs = vmapFlat(
        (ys) => {
          const [o, r] = fwd(ys);
          nOut = o.length;
          return [...o, ...r];
        },
        zeros(xs),
        xs,
      );
      return [outs.slice(0, nOut), outs.slice(nOut)];
    };
    const batchedBwd: CustomBwdFun = (res, cts) =>
      vmapFlat(
        (all) => bwd(all.slice(0, res.length), all.slice(res.length)),
        zeros([...res, ...cts]),
        [...res, ...cts],
      );
    return bindCustomVjp(batchedFun, batchedFwd, batchedBwd, vals).map((v) =>
      new BatchTracer(this, v, 0)
    );
  }
}

/** Flat vmap: `inDims[i]` is the batch axis of `args[i]` (or null); outputs are batched on 0. */
export function vmapFlat(
  f: (xs: Array[]) => Array[],
  inDims: (number | null)[],
  args: Array[],
  outDimsOf?: (outs: Array[]) => (number | null)[],
): Array[] {
  const sizes = args.flatMap((a, i) => (inDims[i] === null ? [] : [[a, inDims[i]!] as const]));
  if (sizes.length === 0) {
    throw new AdjointError("vmap", "no argument is mapped (every in_axes entry is null)");
  }
  for (const [a, d] of sizes) {
    if (!(d >= 0 && d < a.ndim)) {
      throw new AdjointError("vmap", `in_axes ${d} is out of range for an argument ${a.aval}`);
    }
  }
  const axisSize = sizes[0][0].shape[sizes[0][1]];
  const bad = sizes.find(([a, d]) => a.shape[d] !== axisSize);
  if (bad) {
    throw new AdjointError(
      "vmap",
      `mapped axes have different sizes: ${
        sizes.map(([a, d]) => `${shapeStr(a.shape)} axis ${d}`).join(", ")
      }; expected every mapped axis to have size ${axisSize}`,
    );
  }
  return withNewMain(BatchTrace, axisSize, (main: MainTrace) => {
    const trace = new BatchTrace(main);
    const ins = args.map((a, i) => new BatchTracer(trace, a, inDims[i]));
    const raw = f(ins);
    const outDims = outDimsOf ? outDimsOf(raw) : raw.map(() => 0);
    const outs = raw.map((o) => fullRaise(trace, o) as BatchTracer);
    return outs.map((o, i) => {
      const target = outDims[i];
      if (target === null) {
        if (o.bdim !== null) {
          throw new AdjointError(
            "vmap",
            `out_axes is null for an output that varies over the batch`,
          );
        }
        return o.val;
      }
      const ndim = o.aval.ndim + 1;
      return moveBatchAxis(o.val, o.bdim, target < 0 ? target + ndim : target, axisSize);
    });
  });
}

/** Options of `vmap`. */
export interface VmapOptions {
  /** Batch axis of each argument: a number, null (not mapped), or a pytree prefix of the args. */
  inAxes?: Tree<number | null>;
  /** Batch axis of each output (default 0), or a pytree prefix of the output. */
  outAxes?: Tree<number | null>;
}

/** Vectorises `f` over a batch axis of its arguments. */
export function vmap(
  f: (...args: any[]) => any,
  options: VmapOptions = {},
): (...args: any[]) => any {
  const { inAxes = 0, outAxes = 0 } = options;
  return (...args: unknown[]) => {
    const inPrefix = globalThis.Array.isArray(inAxes) ? inAxes : args.map(() => inAxes);
    const dims = broadcastPrefix("vmap in_axes", inPrefix as Tree<number | null>, args as Tree);
    const [leaves, def] = flattenArrays("vmap", args as Tree);
    const normDims = dims.map((d, i) => (d !== null && d < 0 ? d + leaves[i].ndim : d));
    const store: OutStore = {};
    const flat = flattenFun("vmap", f, def, store);
    const outs = vmapFlat(
      flat,
      normDims,
      leaves,
      (o) => broadcastPrefix("vmap out_axes", outAxes, unflatten(store.def!, o)),
    );
    return unflatten(store.def!, outs);
  };
}
