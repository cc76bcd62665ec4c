/**
 * What `jit(f).lower()` shows of loops on wasm and webgpu (kernels/lowering/describe_loops.ts): a
 * fusible scan as its one loop kernel (where each input comes from, the carries, the kernel IR)
 * and the AssemblyScript or WGSL of that kernel; a scan that runs step by step, a while loop and a branch as the
 * kernel programs their bodies run, nested ones named by their path; nothing for a program
 * without them.
 */
import assert from "node:assert/strict";
import {
  type Array,
  initWebGPU,
  jit,
  lax,
  numpy as np,
  toBackend,
  toBackendAsync,
} from "../mod.ts";

const wasm = (x: Array) => toBackend(x, "wasm");
const lowered = (f: (...xs: Array[]) => unknown, ...xs: Array[]) =>
  jit(f, { backend: "wasm" }).lower(...xs.map(wasm)).compiled;

const ema = (reverse: boolean) => (c0: Array, xs: Array) =>
  lax.scan(
    (c: Array, x: Array) => {
      const next = c.mul(0.9).add(x.mul(0.1));
      return [next, np.tanh(next)];
    },
    c0,
    xs,
    { reverse },
  );

Deno.test("a fusible scan shows its loop kernel and the kernel's AssemblyScript", () => {
  for (const reverse of [false, true]) {
    const shown = lowered(ema(reverse), np.zeros([8]), np.ones([5, 8]));
    const order = reverse ? ", reverse" : "";
    assert.match(shown.loops, new RegExp(`^scan k0 \\(length 5${order}\\): one loop kernel\n`));
    assert.match(shown.loops, /in0 = xs0\[t\], carry0: in1 <- out1, ys0\[t\] = out0/);
    assert.match(shown.loops, /loop \[8\] in \(float32, float32\) out \(float32, float32\)/);
    // float32 tanh is its IR definition (math_definitions.ts): fmas, selects, a division.
    assert.match(shown.loops, /= fma t\d+ t\d+ t\d+/);
    assert.match(shown["loop assemblyscript"], /^\/\/ scan k0\nexport function loop\(/);
  }
});

Deno.test("loops that run step by step and branches show their bodies' programs", () => {
  const nested = (c0: Array, xs: Array) =>
    lax.scan(
      (c: Array, u: Array) => {
        const [inner] = lax.scan((d: Array, v: Array) => [d.add(v), null], c, np.stack([u, u]));
        return [np.add(inner as Array, np.sum(u)), np.sum(u)];
      },
      c0,
      xs,
    );
  const shown = lowered(nested, np.zeros([4]), np.ones([3, 4]));
  assert.match(shown.loops, /^scan k0 \(length 3\) jaxpr runs this program per step:\n/);
  assert.match(shown.loops, /reduce_sum/);
  assert.match(shown.loops, /\nscan k0\/k\d \(length 2\): one loop kernel\n/);
  assert.match(shown["loop assemblyscript"], /^\/\/ scan k0\/k\d\nexport function loop\(/);

  const doubling = (x: Array) =>
    lax.whileLoop((c: Array) => np.less(np.sum(c), 100), (c: Array) => c.mul(2), x);
  const loop = lowered(doubling, np.ones([4])).loops;
  assert.match(loop, /^while k0 cond runs this program per step:\n.*reduce_sum/s);
  assert.match(loop, /\nwhile k0 body runs this program per step:\n.*mul/s);

  const branch = (x: Array) =>
    lax.cond(np.greater(np.sum(x), 0), (a: Array) => a.mul(2), (a: Array) => np.sin(a), x);
  const branches = lowered(branch, np.ones([4])).loops;
  assert.match(branches, /cond k\d branches\[0\] runs this program:\n.*sin/s);
  assert.match(branches, /cond k\d branches\[1\] runs this program:\n.*mul/s);
});

Deno.test("a program without loops or branches shows none", () => {
  const shown = lowered((x: Array) => np.tanh(x).mul(2), np.ones([4]));
  assert.equal(shown.loops, undefined);
  assert.equal(shown["loop assemblyscript"], undefined);
});

Deno.test("on webgpu, a fusible scan shows its loop kernel and its WGSL; a nested one its body", async (t) => {
  if (!(await initWebGPU())) {
    return void t.step({ name: "no WebGPU adapter", ignore: true, fn() {} });
  }
  const onGpu = (...xs: Array[]) => Promise.all(xs.map((x) => toBackendAsync(x, "webgpu")));
  for (const reverse of [false, true]) {
    const args = await onGpu(np.zeros([8]), np.ones([5, 8]));
    const shown = jit(ema(reverse), { backend: "webgpu" }).lower(...args).compiled;
    const order = reverse ? ", reverse" : "";
    assert.match(shown.loops, new RegExp(`^scan k0 \\(length 5${order}\\): one loop kernel\n`));
    assert.match(shown.loops, /in0 = xs0\[t\], carry0: in1 <- out1, ys0\[t\] = out0/);
    assert.match(shown["loop wgsl"], /^\/\/ scan k0\n/);
    assert.match(shown["loop wgsl"], /@compute/);
    assert.equal(shown["loop assemblyscript"], undefined);
  }
  const branch = (x: Array) =>
    lax.cond(np.greater(np.sum(x), 0), (a: Array) => a.mul(2), (a: Array) => np.sin(a), x);
  const shown = jit(branch, { backend: "webgpu" }).lower(...await onGpu(np.ones([4]))).compiled;
  assert.match(shown.loops, /cond k\d branches\[1\] runs this program:\n.*mul/s);
  assert.equal(shown["loop wgsl"], undefined);
});
