import assert from "node:assert/strict";
import {
  type Array,
  grad,
  hessian,
  initWebGPU,
  jit,
  makeJaxpr,
  nn,
  numpy as np,
  toBackend,
  toBackendAsync,
  type Var,
} from "../mod.ts";
import { withDefaultBackend } from "../core/backend.ts";
import { fuse, programToString } from "../kernels/lowering/fusion.ts";
import { planMemory } from "../kernels/lowering/memory_plan.ts";
import { simplify } from "../core/transforms/simplify.ts";
import { assertClose } from "./util/assert_close.ts";

const gpu = await initWebGPU();

/**
 * Kernels where an output would be stored over an input that is read after the store: by a later
 * equation of a kernel with several outputs, or, for an input of narrower elements, by the next
 * elements of the same loop.
 */
const CASES: { name: string; f: (x: Array) => Array; x: () => Array; rtol: number }[] = [
  {
    name: "grad of sum(max - sum) over rows (1 / count and -1 in one kernel)",
    f: grad((w: Array) => np.sum(np.max(w, -1).sub(np.sum(w, -1)))),
    x: () => np.array([[1, 2], [4, 3]], "float32"),
    rtol: 1e-6,
  },
  {
    name: "hessian of sum(exp(x^2) * c)",
    f: (x: Array) => hessian((x: Array) => np.sum(np.exp(x.mul(x)).mul(np.arange(1, 6))))(x),
    x: () => np.array([0.3, -1.2, 0.8, 2, -0.4]),
    rtol: 1e-5,
  },
  {
    name: "hessian of sum(x sin(x) c)",
    f: (x: Array) => hessian((x: Array) => np.sum(x.mul(np.sin(x)).mul(np.arange(1, 6))))(x),
    x: () => np.array([0.3, -1.2, 0.8, 2, -0.4]),
    rtol: 1e-5,
  },
  {
    name: "grad of softmax cross-entropy at batch 4",
    f: grad((z: Array) => nn.softmaxCrossEntropy(z, np.array([0, 2, 1, 2], "int32"))),
    x: () => np.linspace(-1, 1, 12).reshape([4, 3]),
    rtol: 1e-5,
  },
  {
    name: "where(mask, x, 0) stored over its bool mask of 3 elements (narrower than f32)",
    f: (x: Array) => {
      const m = np.greater(x, np.mean(x));
      const count = np.sum(m.astype("float32")); // ends m's kernel, so where's kernel reads m
      const y = np.where(m, x, 0);
      return np.dot(y, y).add(count);
    },
    x: () => np.array([0.5, 2, 3]),
    rtol: 1e-6,
  },
];

Deno.test("jitted programs with several outputs per kernel equal ref on wasm", () => {
  for (const c of CASES) {
    const want = c.f(toBackend(c.x(), "ref"));
    withDefaultBackend("wasm", () => {
      const got = jit(c.f, { compile: "sync" })(toBackend(c.x(), "wasm"));
      assertClose(got, want, { rtol: c.rtol, atol: 1e-6 }, c.name);
    });
  }
});

Deno.test({
  name: "jitted programs with several outputs per kernel equal ref on webgpu",
  ignore: !gpu,
  fn: async () => {
    for (const c of CASES) {
      const want = c.f(toBackend(c.x(), "ref"));
      const got = jit(c.f, { backend: "webgpu" })(toBackend(c.x(), "webgpu"));
      assertClose(await toBackendAsync(got, "ref"), want, { rtol: c.rtol, atol: 1e-5 }, c.name);
    }
  },
});

Deno.test("no output is planned over an input that its kernel reads after storing it", () => {
  const jaxpr = simplify(makeJaxpr(CASES[0].f)(CASES[0].x()));
  const program = fuse(jaxpr, { gemmEpilogues: true });
  const plan = planMemory(program);
  const text = programToString(program);
  for (const k of program.kernels) {
    for (const out of k.outputs) {
      const at = plan.offsets.get(out);
      const defined = k.eqns.findIndex((e) => e.outBinders.includes(out));
      for (const v of k.inputs) {
        const readLater = k.eqns.slice(defined + 1).some((e) => e.inputs.includes(v as Var));
        if (at !== undefined && plan.offsets.get(v) === at) assert.ok(!readLater, text);
      }
    }
  }
  assert.ok(
    program.kernels.some((k) => k.outputs.length > 1),
    `a kernel has two outputs:\n${text}`,
  );
});
