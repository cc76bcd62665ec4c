/**
 * Programs that jit once computed wrongly, each found by differential testing (issue 12): every
 * case runs jitted on wasm (and on webgpu when an adapter exists) and eagerly on ref, and the
 * results must agree. Each case names the mechanism that was wrong.
 */
import {
  type Array,
  grad,
  initWebGPU,
  jit,
  lax,
  nn,
  numpy as np,
  toBackend,
  toBackendAsync,
  tree,
} from "../mod.ts";
import { withDefaultBackend } from "../core/backend.ts";
import { assertClose } from "./util/assert_close.ts";

const gpu = await initWebGPU();

interface Case {
  name: string;
  f: (...xs: Array[]) => Array | Array[];
  args: () => Array[];
}

/** `sum(f(...) * c)` for a fixed, non-uniform cotangent `c`, as a function of all arguments. */
function weighted(f: (...xs: Array[]) => Array): (...xs: Array[]) => Array {
  return (...xs) => {
    const y = f(...xs);
    return np.sum(y.mul(np.linspace(0.3125, 1.5, y.size).reshape([...y.shape])));
  };
}

/** The gradient of `weighted(f)` with respect to every argument, flattened into one vector. */
function gradAll(f: (...xs: Array[]) => Array): (...xs: Array[]) => Array {
  return (...xs) => {
    const gs = grad(weighted(f), { argnums: xs.map((_, i) => i) })(...xs) as Array[];
    return np.concatenate(gs.map((g) => g.reshape([-1])));
  };
}

/**
 * `v = view(exp(x))`, then a kernel whose output takes exp(x)'s freed arena slot, then a read of
 * `v`: wrong if `v` still views that slot.
 */
function viewThenReuse(name: string, view: (y: Array) => Array): Case {
  return {
    name: `${name} of an intermediate, read after its storage is reused`,
    f: (x) => {
      const v = view(np.exp(x));
      return v.mul(np.sum(np.exp(v)));
    },
    args: () => [np.array([[-1.3, 0.2, 1.7]])],
  };
}

const CASES: Case[] = [
  // A prebuilt kernel returned a view of an arena input (a transpose or flip of size-1 axes, a
  // reduction over size-1 axes only, a prefix slice, a bitcast);
  // the arena storage was then reused while the view was still read.
  {
    name: "grad of a product over a size-1 axis",
    f: gradAll((x) => np.prod(x, -2)),
    args: () => [np.array([[1]], "float32")],
  },
  {
    name: "grad of a product over a size-1 axis with two columns",
    f: gradAll((x) => np.prod(x, -2)),
    args: () => [np.array([[2, 3]], "float32")],
  },
  {
    name: "grad of logSoftmax of a product over a size-1 axis",
    f: gradAll((x) => nn.logSoftmax(np.prod(x, -3), -1)),
    args: () => [np.array([[[0.5, 1.5, -0.3]]])],
  },
  {
    name: "max over a flipped size-1 axis, with another kernel before it",
    f: (x) => np.max(np.flip(np.exp(x), 0), 0).add(np.sum(x.mul(2).add(1), 0)),
    args: () => [np.array([[-1.3, 0.2, 1.7]])],
  },
  {
    name: "transpose of a size-1 axis beside a second program (fuzz finding 1)",
    f: (x, y) => [np.transpose(x.neg()), np.sum(np.reshape(y.neg(), [-1]))],
    args: () => [np.array([[1.5]]), np.array([[2.5]])],
  },
  viewThenReuse("product over a size-1 axis", (y) => np.prod(y, 0)),
  viewThenReuse("transpose of a size-1 axis", (y) => y.T),
  viewThenReuse("prefix slice", (y) => lax.slice(y, [0, 0], [1, 2])),
  {
    name: "bitcast of an intermediate, read after its storage is reused",
    f: (x) => {
      const v = lax.bitcastConvertType(np.exp(x), "int32");
      return v.add(np.sum(v.mul(2)));
    },
    args: () => [np.array([[-1.3, 0.2, 1.7]])],
  },
  // An f32 output was planned in place over a bool input of the same padded size (up to four
  // elements), so storing element i overwrote mask bytes 4i..4i+3 before they were read.
  {
    name: "where with a mask from an earlier kernel, feeding a matmul",
    f: (x, y, z, w) => np.matmul(np.where(np.matmul(x, y).gt(0), np.matmul(x, z), 0), w),
    args: () => [
      np.array([[1, 1]], "float32"),
      np.array([[1, -1, -1], [1, -1, -1]], "float32"),
      np.array([[1.5, 2, 3], [1.5, 2, 3]]),
      np.ones([3, 2]),
    ],
  },
  {
    name: "grad of a matmul of where with a broadcast zero",
    f: gradAll((x, y) => np.matmul(np.where(x.gt(0), x, 0), y)),
    args: () => [np.array([[-1.3, 0.2, 1.7]]), np.linspace(-2.6, 3.4, 6).reshape([3, 2])],
  },
  // The in-place check looked for reads of a dying value, not of its storage: a read through a
  // reshape after an output was stored over it went unseen, and a kernel reading a value and a
  // reshape of it listed that storage twice, so two outputs went in place over it.
  {
    name: "a reshape read after an output is stored over its source",
    f: (x, w) => {
      const y = np.sum(x, 0, true);
      const a = np.abs(x);
      return np.matmul(a, w).add(np.matmul(y.div(a), w));
    },
    args: () => [np.array([[-1.3, 0.2, 1.7]]), np.linspace(-1, 1, 6).reshape([3, 2])],
  },
  {
    name: "grad of a sum over a size-1 axis divided by abs",
    f: gradAll((x) => np.sum(x, 0, true).div(np.abs(x))),
    args: () => [np.array([[-1.3, 0.2, 1.7]])],
  },
  {
    name: "two outputs of a kernel reading a value and a reshape of it",
    f: (x, w) => {
      const v = np.max(x, 0);
      const t = v.reshape([1, 3]).mul(v);
      return np.matmul(np.exp(t), w).add(np.matmul(t.neg(), w));
    },
    args: () => [np.array([[-1.3, 0.2, 1.7]]), np.linspace(-1, 1, 6).reshape([3, 2])],
  },
];

Deno.test("jitted programs that were once wrong equal ref on wasm", async (t) => {
  for (const c of CASES) {
    await t.step(c.name, () => {
      const want = c.f(...c.args().map((x) => toBackend(x, "ref")));
      withDefaultBackend("wasm", () => {
        const got = jit(c.f, { compile: "sync" })(...c.args().map((x) => toBackend(x, "wasm")));
        const [g, w] = [tree.leaves(got) as Array[], tree.leaves(want) as Array[]];
        w.forEach((wi, i) => assertClose(g[i], wi, { rtol: 1e-5, atol: 1e-6 }, c.name));
      });
    });
  }
});

Deno.test({
  name: "jitted programs that were once wrong equal ref on webgpu",
  ignore: !gpu,
  fn: async (t) => {
    for (const c of CASES) {
      await t.step(c.name, async () => {
        const want = c.f(...c.args().map((x) => toBackend(x, "ref")));
        const xs = c.args().map((x) => toBackend(x, "webgpu"));
        const got = jit(c.f, { backend: "webgpu" })(...xs);
        const [g, w] = [tree.leaves(got) as Array[], tree.leaves(want) as Array[]];
        for (let i = 0; i < w.length; i++) {
          const gi = await toBackendAsync(g[i], "ref");
          assertClose(gi, w[i], { rtol: 1e-4, atol: 1e-5 }, c.name);
        }
      });
    }
  },
});

/** Outputs that view an intermediate's storage: a reshape, a transpose of size-1 axes, a prefix. */
const VIEW_OUTPUTS: Case[] = [
  { name: "reshape", f: (x) => np.exp(x).reshape([-1]), args: () => [np.ones([2, 2])] },
  { name: "transpose of a size-1 axis", f: (x) => np.exp(x).T, args: () => [np.ones([3, 1])] },
  {
    name: "prefix slice",
    f: (x) => lax.slice(np.exp(x), [0, 0], [2, 1]),
    args: () => [np.ones([3, 1])],
  },
];

Deno.test("a jitted output that views an intermediate keeps its value after the next call", async (t) => {
  for (const c of VIEW_OUTPUTS) {
    await t.step(c.name, () =>
      withDefaultBackend("wasm", () => {
        const jf = jit(c.f, { compile: "sync" });
        const x = toBackend(c.args()[0], "wasm");
        const first = jf(x) as Array;
        const want = c.f(toBackend(x, "ref")) as Array;
        assertClose(first, want, { rtol: 1e-6 }, `${c.name}, first call`);
        jf(x.mul(2));
        assertClose(first, want, { rtol: 1e-6 }, `${c.name}, after a second call`);
      }));
  }
});

Deno.test({
  name: "a jitted webgpu output that views an intermediate keeps its value after the next call",
  ignore: !gpu,
  fn: async (t) => {
    for (const c of VIEW_OUTPUTS) {
      await t.step(c.name, async () => {
        const jf = jit(c.f, { backend: "webgpu" });
        const x = toBackend(c.args()[0], "webgpu");
        const first = jf(x) as Array;
        const want = c.f(c.args()[0]) as Array;
        jf(x.mul(2));
        assertClose(await toBackendAsync(first, "ref"), want, { rtol: 1e-5 }, c.name);
      });
    }
  },
});
