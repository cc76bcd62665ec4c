/**
 * The reference result of each benchmark case, which every contender's result is checked against
 * before it is timed (check.ts): Adjoint's `ref` backend (plain TypeScript), eager, no jit. Cases
 * that accumulate (gemm, the training steps) run in float64 from the float32 inputs, so the
 * reference carries no float32 error of its own; the eager add chain runs in float32, because its
 * sequential float32 rounding is the function every contender computes.
 *
 * A training step's reference is its loss and the exact gradients (`grad <name>`), which the
 * contenders' implied gradients are compared with (check.ts's `impliedGradients`).
 * @module
 */
import {
  type Array,
  ConcreteArray,
  defaultBackendName,
  lax,
  setDefaultBackend,
  valueAndGrad,
} from "../mod.ts";
import type { BenchCase, HostTensor, Inputs } from "./cases.ts";
import type { Outputs } from "./check.ts";
import { convnetLoss, lstmLoss, mlpLoss } from "./models.ts";

type Loss = (p: any, x: Array, y: Array) => Array;

/** An input on the ref backend, widened to float64 when `wide`. */
function onRef(t: HostTensor, wide: boolean): Array {
  return wide
    ? ConcreteArray.fromHost(Float64Array.from(t.data), t.shape, "float64", "ref")
    : ConcreteArray.fromHost(t.data, t.shape, "float32", "ref");
}

async function host(a: Array): Promise<{ data: Float64Array; shape: number[] }> {
  return { data: Float64Array.from(await a.read()), shape: [...a.shape] };
}

/** Runs `f` with ref as the default backend. */
async function onRefDefault<T>(f: () => Promise<T>): Promise<T> {
  const previous = defaultBackendName();
  setDefaultBackend("ref");
  try {
    return await f();
  } finally {
    setDefaultBackend(previous);
  }
}

/** `lax.dotGeneral(a, b, dims)` of float32 host operands, on ref in float64, as output `c`. */
export function referenceDotGeneral(
  a: HostTensor,
  b: HostTensor,
  dims: lax.DotDims,
): Promise<Outputs> {
  return onRefDefault(async () => ({
    c: await host(lax.dotGeneral(onRef(a, true), onRef(b, true), dims)),
  }));
}

/** The loss and exact float64 gradients of a training step at the initial parameters. */
async function trainingReference(loss: Loss, inputs: Inputs): Promise<Outputs> {
  const { x, y, ...params } = inputs;
  const p = Object.fromEntries(Object.entries(params).map(([k, t]) => [k, onRef(t, true)]));
  const [l, g] = valueAndGrad(loss)(p, onRef(x, true), onRef(y, true));
  const out: Outputs = { loss: await host(l) };
  for (const k of Object.keys(params)) out[`grad ${k}`] = await host((g as any)[k]);
  return out;
}

async function compute(c: BenchCase, inputs: Inputs): Promise<Outputs> {
  switch (c.kind) {
    case "gemm":
      return await referenceDotGeneral(inputs.a, inputs.b, [[[1], [0]], [[], []]]);
    case "mlp":
    case "jitFresh":
      return await trainingReference(mlpLoss, inputs);
    case "convnet":
      return await trainingReference(convnetLoss, inputs);
    case "lstm":
      // Unrolled: the reference shares no code with the scan primitive it checks.
      return await trainingReference(lstmLoss("unrolled"), inputs);
    case "eager": {
      const y = onRef(inputs.y, false);
      let x = onRef(inputs.x, false);
      for (let i = 0; i < c.ops; i++) x = x.add(y);
      return { x: await host(x) };
    }
  }
}

/** The reference outputs of a case on its inputs (with ref as the default backend meanwhile). */
export function referenceOutputs(c: BenchCase, inputs: Inputs): Promise<Outputs> {
  return onRefDefault(() => compute(c, inputs));
}
