/**
 * Loop fusion on webgpu (kernels/webgpu/compile/loops.ts): a scan whose body is elementwise over
 * one space runs as one loop shader iterating every step per element. For a moving average, an
 * Euler step of an oscillator, int32 and bool carries, more operands than a shader stage can
 * bind, and random elementwise bodies, over 0, 1, 7 and 100 steps, forward and reverse, values
 * and gradients: jitted on webgpu it agrees with the per-step loop (loop fusion switched off)
 * and with ref within float32's tolerance, and the fused path is taken. When there is no
 * adapter, the tests are registered as ignored.
 *
 * Against the per-step loop, the hand-written bodies give the same bits: each is one kernel per
 * step, so both run the same WGSL expressions. A random body may be several kernels per step,
 * whose intermediates go through memory; the loop shader chains them into one, and the GPU
 * compiler (llvmpipe's, at least) may then contract a multiply and an add that straddled a
 * kernel boundary into an fma. Those agree within `TOL` of the output's scale (the widest seen
 * on llvmpipe, Vulkan and GL: 2.4e-7).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Array, ConcreteArray, initWebGPU, jit, lax, numpy as np, toBackend } from "../mod.ts";
import { gpuLoopFusion } from "../kernels/webgpu/compile/loops.ts";
import { webgpuRuntime } from "../kernels/webgpu/init.ts";
import {
  ema,
  euler,
  type Fn,
  LENGTHS,
  scanCases,
  scanOf,
  scanShapes,
  withGrads,
} from "./util/scan_cases.ts";
import { difference, type Leaf } from "./fuzz/oracles.ts";
import { runs, stream } from "./util/arbitraries.ts";

const backend = await initWebGPU();
if (!backend) console.warn("webgpu loop fusion tests skipped: this runtime has no WebGPU adapter");

/** Registers a test that is ignored, visibly, when there is no adapter. */
function gpuTest(name: string, fn: () => Promise<void>): void {
  Deno.test({ name, ignore: !backend, fn });
}

/** A float32 array of `shape` on ref with data in [-1, 1] from `seed`. */
function seeded(shape: readonly number[], seed: number): Array {
  const next = stream(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: n }, () => next() * 2 - 1);
  return ConcreteArray.fromHost(data, shape, "float32", "ref");
}

/** `f` jitted on webgpu with loop fusion on or off: its outputs and the scans run each way. */
function onGpu(f: Fn, args: Array[], fuse: boolean) {
  const { fused, stepwise } = gpuLoopFusion, was = gpuLoopFusion.enabled;
  gpuLoopFusion.enabled = fuse;
  try {
    const outs = jit(f, { backend: "webgpu" })(...args) as Array[];
    return {
      outs,
      fused: gpuLoopFusion.fused - fused,
      stepwise: gpuLoopFusion.stepwise - stepwise,
    };
  } finally {
    gpuLoopFusion.enabled = was;
  }
}

async function leaf(x: Array): Promise<Leaf> {
  const data = Float64Array.from(await x.read(), Number);
  return { data, shape: [...x.shape], dtype: x.dtype };
}

/** Largest `|a - b| / (|b| + scale)` seen between fused and per-step results, for the log. */
let widest = 0;

/**
 * Throws unless `got` (fused) and `want` (per step) hold the same bits, or with `tol`, agree
 * within `tol * (|want| + scale)`, `scale` the output's largest finite magnitude.
 */
async function agree(got: Array[], want: Array[], what: string, tol = 0): Promise<void> {
  assert.equal(got.length, want.length, what);
  for (let j = 0; j < got.length; j++) {
    const a = await got[j].read(), b = await want[j].read();
    assert.equal(a.length, b.length, what);
    const bits = (x: typeof a) => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
    const [ba, bb] = [bits(a), bits(b)];
    const width = ba.length / a.length;
    let scale = 0;
    for (const v of b) if (Number.isFinite(Number(v))) scale = Math.max(scale, Math.abs(Number(v)));
    for (let i = 0; i < a.length; i++) {
      if (ba.subarray(i * width, (i + 1) * width).every((v, k) => v === bb[i * width + k])) {
        continue;
      }
      const x = Number(a[i]), y = Number(b[i]);
      const off = Math.abs(x - y) / (Math.abs(y) + scale);
      if (off <= tol) {
        widest = Math.max(widest, off);
        continue;
      }
      throw new Error(`${what}: output ${j} element ${i} is ${x} fused, ${y} per step`);
    }
  }
}

/**
 * Checks `f` on `args` (host data on ref): jitted on webgpu, fused equals the per-step loop (bit
 * for bit, or within `tol`: see `agree`) and ref within float32's tolerance; returns how many
 * scans ran fused.
 */
async function check(f: Fn, args: Array[], what: string, tol = 0): Promise<number> {
  const gpu = await Promise.all(
    args.map(async (a) => ConcreteArray.fromHost(await a.read(), a.shape, a.dtype, "webgpu")),
  );
  const fused = onGpu(f, gpu, true);
  const stepwise = onGpu(f, gpu, false);
  assert.equal(stepwise.fused, 0, what);
  await agree(fused.outs, stepwise.outs, what, tol);
  const want = await Promise.all(f(...args).map(leaf));
  const d = difference(await Promise.all(fused.outs.map(leaf)), want, "float32");
  if (d) throw new Error(`${what}, against ref: ${d}`);
  return fused.fused;
}

gpuTest("a moving average runs as one loop shader, with the per-step bits", async () => {
  for (const steps of LENGTHS) {
    for (const reverse of [false, true]) {
      const args = [seeded([21], 1), seeded([steps, 21], 2)];
      const what = `${steps} steps, reverse ${reverse}`;
      assert.equal(await check(ema(reverse), args, what), 1, what);
      // The gradient: the forward scan and its transpose, each one loop shader.
      assert.equal(await check(withGrads(ema(reverse), 2), args, `${what}, grad`), 2, what);
    }
  }
});

gpuTest("an Euler step of an oscillator runs as one loop shader", async () => {
  for (const steps of LENGTHS) {
    const args = [1, 2, 3].map((s) => seeded([37], s));
    const what = `${steps} steps`;
    assert.equal(await check(euler(steps, false), args, what), 1, what);
    assert.ok(await check(withGrads(euler(steps, true), 3), args, `${what}, grad`) >= 1, what);
  }
});

gpuTest("a loop over more elements than a workgroup holds each element's carries", async () => {
  const args = [seeded([4096 + 3], 3), seeded([7, 4096 + 3], 4)];
  assert.equal(await check(ema(true), args, "4099 elements"), 1);
});

gpuTest("int32 and bool carries loop in registers", async () => {
  // A step counter, a flag flipped every step and an average taken on odd steps only.
  const f: Fn = (c0, xs) => {
    const n0 = np.zeros([...c0.shape], "int32"), odd0 = np.less(c0, 2);
    const [[c, n, odd], ys] = lax.scan(
      ([c, n, odd]: Array[], x: Array) => {
        const next = np.where(odd, c.mul(0.5).add(x), c);
        return [[next, n.add(1), np.logicalNot(odd)], [next, n.mul(3)]];
      },
      [c0, n0, odd0],
      xs,
    );
    return [c, n, odd, ...(ys as Array[])];
  };
  for (const steps of LENGTHS) {
    const args = [seeded([10], 5), seeded([steps, 10], 6)];
    assert.equal(await check(f, args, `${steps} steps`), 1, `${steps} steps`);
  }
});

gpuTest("a loop with more operands than a shader stage binds spills them", async () => {
  // Four carries, three xs, two consts and three ys: twelve slots.
  const f: Fn = (a, b, c, d, x, y, z, u, v) => {
    const [carries, ys] = lax.scan(
      ([a, b, c, d]: Array[], [x, y, z]: Array[]) => {
        const na = a.mul(0.5).add(x.mul(u)), nb = b.mul(0.25).sub(y.mul(v));
        const nc = c.mul(0.75).add(z), nd = d.mul(0.5).add(na.mul(nb));
        return [[na, nb, nc, nd], [na.add(nc), nd, nb.mul(z)]];
      },
      [a, b, c, d],
      [x, y, z],
    );
    return [...(carries as Array[]), ...(ys as Array[])];
  };
  assert.ok(webgpuRuntime()!.device.limits.maxStorageBuffersPerShaderStage < 12);
  for (const steps of LENGTHS) {
    const shapes = [[9], [9], [9], [9], [steps, 9], [steps, 9], [steps, 9], [9], [9]];
    const args = shapes.map((s, i) => seeded(s, 10 + i));
    const what = `${steps} steps`;
    assert.equal(await check(f, args, what), 1, what);
    assert.equal(await check(withGrads(f, args.length), args, `${what}, grad`) >= 1, true, what);
  }
});

gpuTest("a scan whose body reduces runs step by step", async () => {
  const f: Fn = (c0, xs) => {
    const [c, ys] = lax.scan(
      (c: Array, x: Array) => {
        const next = c.add(np.sum(x));
        return [next, next];
      },
      c0,
      xs,
    );
    return [c as Array, ys as Array];
  };
  const args = [seeded([5], 7), seeded([7, 5], 8)];
  const gpu = await Promise.all(
    args.map(async (a) => ConcreteArray.fromHost(await a.read(), a.shape, a.dtype, "webgpu")),
  );
  const run = onGpu(f, gpu, true);
  assert.deepEqual([run.fused, run.stepwise], [0, 1]);
  assert.equal(await check(f, args, "reduction"), 0);
});

gpuTest("a scan inside a scan's body runs as one loop shader per outer step", async () => {
  // The outer body holds a scan, so it runs step by step, its inner scan fused at every step.
  const f: Fn = (c0, xss) => {
    const [c] = lax.scan(
      (c: Array, xs: Array) => {
        const [inner] = ema(false)(c, xs);
        return [inner.mul(0.5), null];
      },
      c0,
      xss,
    );
    return [c as Array];
  };
  const args = [seeded([6], 20), seeded([3, 4, 6], 21)];
  const gpu = await Promise.all(
    args.map(async (a) => ConcreteArray.fromHost(await a.read(), a.shape, a.dtype, "webgpu")),
  );
  const run = onGpu(f, gpu, true);
  assert.deepEqual([run.fused, run.stepwise], [3, 1]);
  assert.equal(await check(f, args, "nested"), 3);
});

gpuTest("a scan whose body computes in float64 is refused", () => {
  const f: Fn = (c0, xs) => {
    const [c] = lax.scan(
      (c: Array, x: Array) => {
        const next = c.astype("float64").mul(0.5).astype("float32").add(x);
        return [next, null];
      },
      c0,
      xs,
    );
    return [c as Array];
  };
  const args = toBackend([np.zeros([3], "float32"), np.zeros([4, 3], "float32")], "webgpu");
  assert.throws(
    () => jit(f, { backend: "webgpu" })(...args),
    /float64 is not available on the webgpu backend/,
  );
  return Promise.resolve();
});

/** Fused against per-step results of random bodies, relative to scale (see the module doc). */
const TOL = 1e-5;

gpuTest(
  "property: random elementwise scans fused give the per-step bits and ref's values",
  async () => {
    let fused = 0, total = 0;
    await fc.assert(
      fc.asyncProperty(scanCases("float32"), async (c) => {
        for (const steps of LENGTHS) {
          const args = scanShapes(c, steps).map((s, i) => seeded(s, c.seed + i));
          const f = scanOf(c, steps);
          fused += await check(f, args, `${steps} steps`, TOL) > 0 ? 1 : 0;
          await check(withGrads(f, args.length), args, `${steps} steps, grad`, TOL);
          total++;
        }
      }),
      // No shrinking: each try compiles shaders, slow on a software adapter.
      { ...runs(6), endOnFailure: true },
    );
    // Most random bodies here are elementwise; some (a softmax, a flip) are not.
    console.log(`${fused} of ${total} scans ran fused; widest difference ${widest}`);
    assert.ok(fused >= total / 3, `${fused} of ${total} scans ran fused`);
  },
);
