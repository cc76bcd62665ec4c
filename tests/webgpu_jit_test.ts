/**
 * Jitted programs on the WebGPU backend: compiled kernel programs (fused WGSL kernels, eager
 * kernels for the other primitives, one arena for intermediates) agree with the ref backend run
 * eagerly, on random elementwise and reduction programs and on MLP and convnet training steps;
 * once warm, a call takes only its outputs from the buffer pool and records the whole program in
 * one command buffer; `lower` shows the kernel program and its shaders.
 *
 * Float32 tolerances: results agree within `1e-4 * |ref| + 1e-5` (sums of up to a few hundred
 * terms accumulate in float32 on the GPU and in float64 on ref).
 *
 * Without a GPU, Deno uses a software adapter (Mesa's lavapipe or llvmpipe); when there is no
 * adapter at all, the tests are registered as ignored with a warning.
 */
import assert from "node:assert/strict";
import { convLoss, mlpLoss, type Params } from "./util/losses.ts";
import fc from "fast-check";
import {
  type Array,
  ConcreteArray,
  grad,
  initWebGPU,
  jit,
  lax,
  numpy as np,
  toBackend,
  tree,
} from "../mod.ts";
import { webgpuRuntime } from "../kernels/webgpu/init.ts";

const backend = await initWebGPU();
if (!backend) console.warn("webgpu jit tests skipped: this runtime has no WebGPU adapter");

/** Registers a test that is ignored, visibly, when there is no adapter. */
function gpuTest(name: string, fn: (t: Deno.TestContext) => Promise<void> | void): void {
  Deno.test({ name, ignore: !backend, fn });
}

const TOL = { rtol: 1e-4, atol: 1e-5 };

/** A deterministic stream of numbers in [0, 1) from a seed (mulberry32). */
function stream(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A float32 array on ref with values uniform in [-scale, scale). */
function randomArray(shape: number[], seed: number, scale = 2): Array {
  const next = stream(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: n }, () => (next() * 2 - 1) * scale);
  return ConcreteArray.fromHost(data, shape, "float32", "ref");
}

/** Asserts that every leaf of `got` (webgpu) agrees with the same leaf of `want` (ref). */
async function assertTreesAgree(got: unknown, want: unknown, label: string): Promise<void> {
  const g = tree.leaves(got) as Array[], w = tree.leaves(want) as Array[];
  assert.equal(g.length, w.length, `${label}: ${g.length} outputs vs ${w.length}`);
  for (let i = 0; i < w.length; i++) {
    assert.equal((g[i] as ConcreteArray).backend.name, "webgpu", `${label}: output ${i} backend`);
    assert.deepEqual(g[i].shape, w[i].shape, `${label}: output ${i} shape`);
    assert.equal(g[i].dtype, w[i].dtype, `${label}: output ${i} dtype`);
    const got = await g[i].read(), want = await w[i].read();
    for (let j = 0; j < want.length; j++) {
      const a = Number(got[j]), b = Number(want[j]);
      const ok = a === b || (Number.isNaN(a) && Number.isNaN(b)) ||
        Math.abs(a - b) <= TOL.atol + TOL.rtol * Math.abs(b);
      assert.ok(ok, `${label}: output ${i} element ${j} is ${a} on webgpu, ${b} on ref`);
    }
  }
}

/** Runs `f` jitted on webgpu and eagerly on ref over the same (ref) arguments, and compares. */
async function checkJit(label: string, f: (...xs: any[]) => unknown, args: unknown[]) {
  const want = f(...args);
  const got = jit(f, { backend: "webgpu" })(...toBackend(args, "webgpu"));
  await assertTreesAgree(got, want, label);
}

// ---------------------------------------------------------------- random programs

type Unary = (x: Array) => Array;
type Binary = (x: Array, y: Array) => Array;

const UNARY: Record<string, Unary> = {
  tanh: np.tanh,
  sin: np.sin,
  abs: np.abs,
  neg: (x) => x.neg(),
  sigmoid: np.sigmoid,
  relu: np.relu,
  expTanh: (x) => np.exp(np.tanh(x)),
  square: (x) => np.tanh(x).square(),
};

const BINARY: Record<string, Binary> = {
  add: (x, y) => x.add(y),
  sub: (x, y) => x.sub(y),
  mul: (x, y) => x.mul(y),
  maximum: np.maximum,
  minimum: np.minimum,
  whereGreater: (x, y) => np.where(x.gt(y), x, y.mul(0.5)),
};

const REDUCE: Record<string, (x: Array, axes: number[], keep: boolean) => Array> = {
  sum: (x, axes, keep) => np.sum(x, axes, keep),
  max: (x, axes, keep) => np.max(x, axes, keep),
  min: (x, axes, keep) => np.min(x, axes, keep),
  mean: (x, axes, keep) => np.mean(x, axes, keep),
};

/** One step of a random program: which op, on which earlier values, reducing which axes. */
interface Step {
  kind: "unary" | "binary" | "reduce" | "normalize";
  op: number;
  a: number;
  b: number;
  axes: boolean[];
}

const stepArb = fc.record({
  kind: fc.constantFrom<Step["kind"]>("unary", "unary", "binary", "binary", "reduce", "normalize"),
  op: fc.nat(),
  a: fc.nat(),
  b: fc.nat(),
  axes: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
});

/**
 * The program: starting from the inputs, each step appends a value (elementwise ops broadcast
 * numpy-style; reductions keep their axes so later steps can broadcast them back; `normalize` is
 * `x - max(x, axes)` as in a softmax); the outputs are the last value and a sum of each input.
 */
function program(steps: Step[]): (...xs: Array[]) => Array[] {
  const pick = <T>(table: Record<string, T>, i: number) => {
    const names = Object.keys(table);
    return table[names[i % names.length]];
  };
  return (...xs) => {
    const values = [...xs];
    for (const s of steps) {
      const a = values[s.a % values.length], b = values[s.b % values.length];
      const axes = s.axes.flatMap((on, d) => (on && d < a.ndim ? [d] : []));
      if (s.kind === "unary") values.push(pick(UNARY, s.op)(a));
      else if (s.kind === "binary") values.push(pick(BINARY, s.op)(a, b));
      else if (s.kind === "reduce") values.push(pick(REDUCE, s.op)(a, axes, true));
      else values.push(a.sub(np.max(a, axes, true)));
    }
    return [values[values.length - 1], ...xs.map((x, i) => np.sum(values[i + xs.length] ?? x))];
  };
}

const dim = fc.integer({ min: 1, max: 6 });

gpuTest("jitted random elementwise and reduction programs agree with ref", async (t) => {
  await t.step("broadcasting elementwise chains with reductions", () =>
    fc.assert(
      fc.asyncProperty(
        fc.tuple(dim, dim, dim),
        fc.array(fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.array(stepArb, { minLength: 1, maxLength: 7 }),
        fc.integer(),
        async (shape, keeps, steps, seed) => {
          const xs = keeps.map((keep, i) =>
            randomArray(shape.map((n, d) => (keep[d] ? n : 1)), seed + i)
          );
          await checkJit(`program ${JSON.stringify(steps)} on ${shape}`, program(steps), xs);
        },
      ),
      { numRuns: 12 },
    ));
  await t.step("long reductions (one workgroup per output element)", () =>
    checkJit(
      "long",
      (x: Array) => [
        np.sum(np.tanh(x).mul(2), 1),
        np.max(np.sin(x), 1),
        np.sum(x.square()),
        np.min(x.add(1), 0),
      ],
      [randomArray([3, 700], 5)],
    ));
  await t.step("fused products (a mul reduction store), float32 and int32", () =>
    checkJit(
      "prod",
      (x: Array) => [
        np.prod(x.mul(0.1).add(1), 1),
        np.prod(np.cos(x), 0),
        np.prod(np.floor(x.mul(3)).astype("int32").add(5), 1),
      ],
      [randomArray([5, 70], 6)],
    ));
  await t.step("integer and bool values between kernels", () =>
    checkJit(
      "int",
      (x: Array, y: Array) => {
        const i = np.floor(x.mul(3)).astype("int32");
        const big = x.gt(0);
        const m = np.max(i, 1, true);
        const low = x.lt(-0.5).T; // a bool read by another kernel from the arena
        return [
          i.add(m).mul(2),
          np.where(big, y, x),
          np.sum(big.astype("int32"), 0),
          big,
          np.where(low, y.T, x.T),
        ];
      },
      [randomArray([24, 30], 1), randomArray([24, 30], 2)],
    ));
  await t.step("bool reductions (any, all) fused after comparisons, short and long", () =>
    checkJit(
      "any/all",
      (x: Array) => [
        np.any(x.gt(0.9), 1),
        np.all(x.gt(-0.99), 1),
        np.any(x.lt(-2), 0),
        np.all(x.lt(0.5), 0),
      ],
      [randomArray([6, 300], 8)],
    ));
  await t.step("broadcasts of broadcasts", () =>
    checkJit(
      "views",
      (x: Array, b: Array) => {
        const b2 = lax.broadcastInDim(lax.broadcastInDim(b, [3, 4], [1]), [2, 3, 4], [1, 2]);
        return [np.tanh(x.add(b2)), np.sum(x.mul(b2), [0, 2])];
      },
      [randomArray([2, 3, 4], 3), randomArray([4], 4)],
    ));
  await t.step(
    "gradient of a mean",
    () => checkJit("mean grad", grad((x: Array) => np.mean(np.tanh(x))), [randomArray([5, 7], 6)]),
  );
});

// ---------------------------------------------------------------- training steps

/** One SGD step: the loss and the updated parameters. */
function sgdStep(loss: (p: Params, x: Array, y: Array) => Array) {
  return (p: Params, x: Array, y: Array) => {
    const g = grad(loss)(p, x, y) as Params;
    const next = Object.fromEntries(Object.keys(p).map((k) => [k, p[k].sub(g[k].mul(0.1))]));
    return { loss: loss(p, x, y), params: next };
  };
}

function initParams(shapes: Record<string, number[]>, seed: number): Params {
  return Object.fromEntries(
    Object.entries(shapes).map(([k, s], i) => [k, randomArray(s, seed + i, 1 / Math.sqrt(s[0]))]),
  );
}

const labels = (values: number[]) =>
  ConcreteArray.fromHost(Int32Array.from(values), [values.length], "int32", "ref");

const mlp = {
  params: initParams({ w1: [8, 16], b1: [16], w2: [16, 4], b2: [4] }, 1),
  x: randomArray([10, 8], 7),
  y: labels([0, 1, 2, 3, 0, 1, 2, 3, 1, 2]),
};

const convnet = {
  params: initParams({ k1: [4, 1, 3, 3], c1: [4], k2: [8, 4, 3, 3], w: [32, 10], b: [10] }, 2),
  x: randomArray([3, 1, 8, 8], 9),
  y: labels([3, 7, 1]),
};

/** Two training steps, jitted on webgpu and eager on ref, compared after each. */
async function checkTraining(label: string, step: ReturnType<typeof sgdStep>, data: typeof mlp) {
  const jitted = jit(step, { backend: "webgpu" });
  let onRef = data.params, onGpu = toBackend(data.params, "webgpu");
  const [x, y] = toBackend([data.x, data.y], "webgpu");
  for (let i = 0; i < 2; i++) {
    const want = step(onRef, data.x, data.y), got = jitted(onGpu, x, y);
    await assertTreesAgree(got, want, `${label} step ${i}`);
    onRef = want.params;
    onGpu = got.params;
  }
}

gpuTest("jitted training steps agree with ref", async (t) => {
  await t.step("MLP", () => checkTraining("mlp", sgdStep(mlpLoss), mlp));
  await t.step("convnet", () => checkTraining("convnet", sgdStep(convLoss), convnet));
});

// ---------------------------------------------------------------- memory and submission

gpuTest("a warm jitted step takes only its outputs from the pool", async () => {
  const rt = webgpuRuntime()!;
  const step = jit(sgdStep(convLoss), { backend: "webgpu" });
  const params = toBackend(convnet.params, "webgpu");
  const [x, y] = toBackend([convnet.x, convnet.y], "webgpu");
  const dispose = (r: unknown) =>
    tree.leaves(r).forEach((a) => (a as ConcreteArray)[Symbol.dispose]());
  dispose(step(params, x, y));
  await rt.sync();
  const [allocations, created, launches] = [rt.allocations, rt.pool.created, rt.launches];
  const out = step(params, x, y);
  const outputs = tree.leaves(out).length;
  assert.equal(rt.allocations - allocations, outputs, "one pooled buffer per output");
  assert.equal(rt.pool.created, created, "no new GPU buffer: the last call's outputs were reused");
  assert.ok(rt.launches - launches > 20, "the whole program ran");
  dispose(out);
});

gpuTest("a jitted call is recorded into one command buffer", async () => {
  const rt = webgpuRuntime()!;
  const f = jit((x: Array) => {
    for (let i = 0; i < 50; i++) x = np.tanh(x.T.add(i)); // 100 launches: transposes split fusion
    return x;
  }, { backend: "webgpu" });
  const x = toBackend(randomArray([3, 3], 8), "webgpu");
  await f(x).read();
  const submits = rt.submits;
  const y = f(x);
  assert.equal(rt.submits, submits, "nothing submitted while the program was recorded");
  await y.read();
  assert.equal(rt.submits, submits + 1, "one submit for the program and the read");
});

gpuTest(
  "a fused kernel with more operands than the device binds spills through the arena",
  async () => {
    const f = (...xs: Array[]) => xs.reduce((acc, x) => np.tanh(acc).add(x));
    const xs = globalThis.Array.from({ length: 12 }, (_, i) => randomArray([5, 3], 20 + i));
    const limit = webgpuRuntime()!.device.limits.maxStorageBuffersPerShaderStage;
    const { program, wgsl } =
      jit(f, { backend: "webgpu" }).lower(...toBackend(xs, "webgpu")).compiled;
    assert.equal(program.split("\n").length, 1, `one fused kernel: ${program}`);
    const bindings = wgsl.match(/@binding/g)?.length ?? 0;
    assert.ok(bindings <= limit, `${bindings} bindings, the device allows ${limit}`);
    await checkJit("spill", f, xs);
  },
);

gpuTest("jitted outputs: inputs, reshapes of intermediates, literals and repeats", () =>
  checkJit(
    "outputs",
    (x: Array) => {
      const h = np.tanh(x);
      const s = np.sum(h, 1);
      return [x, h.reshape([6]), s, s, np.array(2), np.exp(s).reshape([2, 1])];
    },
    [randomArray([2, 3], 11)],
  ));

gpuTest(
  "programs over empty arrays run op by op",
  () => checkJit("empty", (x: Array) => [np.tanh(x), np.sum(x, 1)], [randomArray([3, 0], 1)]),
);

// ---------------------------------------------------------------- API

gpuTest("jit on webgpu: describe, backend choice and float64", async (t) => {
  await t.step("lower shows the kernel program and one shader per fused kernel", () => {
    const f = jit((x: Array, b: Array) => np.sum(np.tanh(x.add(b)), 1), { backend: "webgpu" });
    const [x, b] = toBackend([randomArray([4, 5], 1), randomArray([5], 2)], "webgpu");
    const { program, wgsl } = f.lower(x, b).compiled;
    const fused = program.split("\n").filter((l) => l.includes(" fused(")).length;
    assert.ok(fused >= 1, program);
    assert.match(program, /tanh.*reduce_sum/);
    assert.equal(wgsl.match(/@compute/g)?.length, fused, wgsl);
    assert.match(wgsl, /var acc: f32/);
  });
  await t.step("traced constants are placed on the chosen backend", async () => {
    const f = jit((x: Array) => x.add(np.arange(4).astype("float32")), { backend: "webgpu" });
    const out = f(toBackend(np.zeros([4]), "webgpu")) as ConcreteArray;
    assert.equal(out.backend.name, "webgpu");
    assert.deepEqual([...await out.read()], [0, 1, 2, 3]);
  });
  await t.step("arguments on another backend are refused with the fix", () => {
    const f = jit((x: Array) => x.mul(2), { backend: "webgpu" });
    assert.throws(
      () => f(toBackend(np.ones([2]), "ref")),
      /argument 0 .*lives on the ref backend but this function is jitted for "webgpu".*toBackend/,
    );
  });
  await t.step("float64 is refused naming the primitive", () => {
    const f = jit((x: Array) => np.sum(x.astype("float64")), { backend: "webgpu" });
    assert.throws(
      () => f(toBackend(np.ones([2]), "webgpu")),
      /convert_element_type: float64 is not available on the webgpu backend/,
    );
  });
});
