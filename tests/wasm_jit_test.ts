import assert from "node:assert/strict";
import fc from "fast-check";
import { type Array, ConcreteArray, grad, jit, numpy as np, toBackend, tree } from "../mod.ts";
import { wasmMemoryStats } from "../kernels/wasm/backend.ts";
import { jitCallCounts } from "../kernels/wasm/jit_executor.ts";
import { assertClose } from "./util/assert_close.ts";
import { withDefaultBackend } from "../core/backend.ts";

type Params = { w1: Array; b1: Array; w2: Array; b2: Array };

function loss(p: Params, x: Array, y: Array): Array {
  const h = np.tanh(x.matmul(p.w1).add(p.b1));
  const logits = h.matmul(p.w2).add(p.b2);
  return np.mean(np.square(logits.sub(y)));
}

function step(p: Params, x: Array, y: Array): Params {
  return tree.map((a: Array, g: Array) => a.sub(g.mul(0.1)), p, grad(loss)(p, x, y)) as Params;
}

function onWasm<T>(t: T): T {
  return toBackend(t as never, "wasm") as T;
}

Deno.test("a jitted training step compiled for wasm equals the reference backend", () => {
  const p = {
    w1: np.linspace(-1, 1, 12).reshape([4, 3]),
    b1: np.array([0.1, -0.2, 0.3]),
    w2: np.linspace(-0.5, 0.5, 6).reshape([3, 2]),
    b2: np.array([0.05, -0.05]),
  };
  const x = np.linspace(-2, 2, 20).reshape([5, 4]);
  const y = np.linspace(0, 1, 10).reshape([5, 2]);
  const want = step(toBackend(p, "ref"), toBackend(x, "ref"), toBackend(y, "ref"));
  withDefaultBackend("wasm", () => {
    const jitted = jit(step, { compile: "sync" });
    const before = jitCallCounts.compiled;
    const got = jitted(onWasm(p), onWasm(x), onWasm(y));
    assert.equal(jitCallCounts.compiled, before + 1, "the step ran as a compiled program");
    for (const k of ["w1", "b1", "w2", "b2"] as const) {
      assert.equal((got[k] as ConcreteArray).backend.name, "wasm");
      assertClose(got[k], want[k], { rtol: 1e-5, atol: 1e-6 }, k);
    }
    const lowered = jitted.lower(onWasm(p), onWasm(x), onWasm(y));
    assert.match(lowered.compiled.program, /fused/);
    assert.match(lowered.compiled.assemblyscript, /export function k\d+/);
  });
});

Deno.test("compiled wasm programs match ref on random elementwise programs with reductions", () => {
  const unary = [np.tanh, np.exp, np.sin, np.sigmoid, np.abs, np.relu];
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(unary.length - 1), fc.boolean()), { minLength: 1, maxLength: 4 }),
      fc.boolean(),
      (ops, reduce) => {
        const f = (x: Array, b: Array) => {
          let v = x;
          for (const [u, add] of ops) v = add ? unary[u](v).add(b) : unary[u](v).mul(x);
          return reduce ? np.sum(v, 1) : v;
        };
        const x = np.linspace(-1.5, 1.5, 12).reshape([3, 4]);
        const b = np.array([0.5, -1, 0.25, 2]);
        const want = f(toBackend(x, "ref"), toBackend(b, "ref"));
        withDefaultBackend("wasm", () => {
          const got = jit(f, { compile: "sync" })(onWasm(x), onWasm(b));
          assertClose(got, want, { rtol: 1e-5, atol: 1e-6 });
        });
      },
    ),
    { numRuns: 8, seed: 7 },
  );
});

Deno.test("compiled wasm programs match ref on random programs of sibling branches", () => {
  // Each branch starts from x; a step applies a unary function, then adds b, multiplies by x or
  // by the previous branch's value. Siblings share loops, a branch may end in a reduction of a
  // value no loop of its own produced, and every branch is an output.
  const unary = [np.tanh, np.exp, np.sin, np.abs, np.relu];
  const ends = [
    (v: Array) => v,
    (v: Array) => np.sum(v, 0),
    (v: Array) => np.max(v, 1),
    (v: Array) => np.sum(v),
  ];
  const step = fc.tuple(fc.nat(unary.length - 1), fc.nat(2));
  const branch = fc.tuple(fc.array(step, { maxLength: 3 }), fc.nat(ends.length - 1));
  fc.assert(
    fc.property(fc.array(branch, { minLength: 2, maxLength: 4 }), (branches) => {
      const f = (x: Array, b: Array) => {
        let prev = x;
        return branches.map(([steps, end]) => {
          let v = x;
          for (const [u, with_] of steps) {
            const w = unary[u](v);
            v = with_ === 0 ? w.add(b) : w.mul(with_ === 1 ? x : prev);
          }
          prev = v;
          return ends[end](v);
        });
      };
      const x = np.linspace(-1.5, 1.5, 40).reshape([5, 8]);
      const b = np.linspace(0.5, -1, 8);
      const want = f(toBackend(x, "ref"), toBackend(b, "ref"));
      withDefaultBackend("wasm", () => {
        const got = jit(f, { compile: "sync" })(onWasm(x), onWasm(b));
        want.forEach((w, i) => assertClose(got[i], w, { rtol: 1e-5, atol: 1e-5 }, `branch ${i}`));
      });
    }),
    { numRuns: 8, seed: 11 },
  );
});

Deno.test("a training loop donating its state and batch keeps wasm memory flat", () => {
  withDefaultBackend("wasm", () => {
    const p0 = onWasm({
      w1: np.linspace(-1, 1, 64 * 32).reshape([64, 32]),
      b1: np.zeros([32]),
      w2: np.linspace(-0.5, 0.5, 32 * 4).reshape([32, 4]),
      b2: np.zeros([4]),
    });
    const train = jit((p: Params, x: Array, y: Array) => step(p, x, y), {
      compile: "sync",
      donateArgnums: [0, 1, 2],
    });
    const host = Float32Array.from({ length: 256 * 64 }, (_, i) => Math.sin(i));
    const target = Float32Array.from({ length: 256 * 4 }, (_, i) => Math.cos(i));
    const batch = () => [
      ConcreteArray.fromHost(host, [256, 64], "float32", "wasm"),
      ConcreteArray.fromHost(target, [256, 4], "float32", "wasm"),
    ];
    let p = p0;
    const liveAfter: number[] = [];
    for (let i = 0; i < 300; i++) {
      p = train(p, ...batch());
      liveAfter.push(wasmMemoryStats().liveBytes);
    }
    assert.ok(
      liveAfter[299] <= liveAfter[9],
      `live wasm bytes grew from ${liveAfter[9]} (step 10) to ${liveAfter[299]} (step 300)`,
    );
  });
});

Deno.test("without the AssemblyScript compiler, a sync jit fails at once and says why", async () => {
  const child = new URL("./util/jit_child.ts", import.meta.url);
  const dir = await Deno.makeTempDir();
  try {
    // An import map that replaces the compiler by a module failing to load.
    const imports = { "npm:assemblyscript@0.28.20/asc": "./no_compiler.ts" };
    await Deno.writeTextFile(`${dir}/deno.json`, JSON.stringify({ imports }));
    await Deno.writeTextFile(`${dir}/no_compiler.ts`, `throw new Error("no compiler here");`);
    const out = await new Deno.Command("deno", {
      args: [
        "run",
        `--config=${dir}/deno.json`,
        "--allow-read",
        "--allow-env",
        "--allow-write",
        child.pathname,
      ],
      env: { ADJOINT_CACHE_DIR: `${dir}/cache` },
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.notEqual(out.code, 0);
    assert.match(
      stderr,
      /AssemblyScript compiler \(npm:assemblyscript@0\.28\.20\) could not be loaded: .*no compiler here/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fused kernels over a last axis of 2 (2x2 pooling windows) run two pairs per vector", () => {
  // x: [rows, 2, cols, 2] windows; g: [rows, cols] one value per window, read twice per pair.
  const f = (x: Array, g: Array, b: Array) => {
    const perWindow = np.reshape(g, [g.shape[0], 1, g.shape[1], 1]);
    return np.maximum(x.mul(perWindow).add(b), np.reshape(np.array([0.25]), [1, 1, 1, 1]));
  };
  for (const cols of [4, 5]) {
    const x = np.linspace(-3, 3, 6 * 2 * cols * 2).reshape([6, 2, cols, 2]);
    const g = np.linspace(2, -1, 6 * cols).reshape([6, cols]);
    const b = np.linspace(-0.5, 0.5, 2 * cols * 2).reshape([2, cols, 2]);
    withDefaultBackend("wasm", () => {
      const [wx, wg, wb] = [x, g, b].map(onWasm);
      const jitted = jit(f, { compile: "sync" });
      const code = jitted.lower(wx, wg, wb).compiled.assemblyscript;
      assert.match(code, /i2 \+= 2/, "the pairs loop");
      assert.match(code, /i32x4\.shuffle\(\w+, \w+, 0, 0, 1, 1\)/, "a window value read twice");
      const got = jitted(wx, wg, wb);
      assert.deepEqual(got.toArray(), f(wx, wg, wb).toArray(), `cols ${cols}: as op by op`);
      assertClose(got, f(toBackend(x, "ref"), toBackend(g, "ref"), toBackend(b, "ref")));
    });
  }
});

Deno.test("a fused sum or max over 2x2 windows takes them in the scalar loop's order, bit for bit", () => {
  // cols 5: one quad step (four windows) and a scalar window; 7: quad, pair and scalar; 8: quads.
  for (const cols of [5, 7, 8]) {
    const rows = 3;
    const data = Float32Array.from(
      { length: rows * 2 * cols * 2 },
      (_, i) => Math.sin(i * 2.3) * 7,
    );
    const at = (r: number, i: number, c: number, j: number) =>
      Math.fround(data[((r * 2 + i) * cols + c) * 2 + j] * 1.5);
    const cases: [string, (x: Array) => Array, (a: number, b: number) => number][] = [
      ["sum", (x) => np.sum(x.mul(1.5), [1, 3]), (a, b) => Math.fround(a + b)],
      ["max", (x) => np.max(x.mul(1.5), [1, 3]), Math.max],
    ];
    for (const [name, f, step] of cases) {
      withDefaultBackend("wasm", () => {
        const x = ConcreteArray.fromHost(data, [rows, 2, cols, 2], "float32", "wasm");
        const jitted = jit(f, { compile: "sync" });
        const code = jitted.lower(x).compiled.assemblyscript;
        assert.match(code, /i2 \+= 4/, "the quad loop");
        assert.match(code, /v128\.store64_lane/, "the pairs loop");
        const got = (jitted(x) as ConcreteArray).dataSync();
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < cols; c++) {
            let s = name === "sum" ? 0 : -Infinity;
            for (const [i, j] of [[0, 0], [0, 1], [1, 0], [1, 1]]) s = step(s, at(r, i, c, j));
            assert.equal(got[r * cols + c], s, `${name}, cols ${cols}, window (${r}, ${c})`);
          }
        }
      });
    }
  }
});

Deno.test("a fused reduction over leading axes (a bias gradient) takes four columns per vector, bit for bit", () => {
  const [a, b, cols] = [3, 4, 7];
  const data = Float32Array.from({ length: a * b * cols }, (_, i) => Math.sin(i * 1.7) * 5);
  data[2 * cols + 5] = NaN;
  const reductions = [
    {
      name: "sum",
      f: (x: Array) => np.sum(x.mul(1.5), [0, 1]),
      step: (s: number, v: number) => s + v,
      init: 0,
    },
    { name: "max", f: (x: Array) => np.max(x.mul(1.5), [0, 1]), step: Math.max, init: -Infinity },
  ];
  withDefaultBackend("wasm", () => {
    const x = ConcreteArray.fromHost(data, [a, b, cols], "float32", "wasm");
    for (const { name, f, step, init } of reductions) {
      const jitted = jit(f, { compile: "sync" });
      const code = jitted.lower(x).compiled.assemblyscript;
      assert.match(code, /v128\.store\(out0 \+ \(\(i2\) << 2\), f32x4\.\w+\(v128\.load/, name);
      const got = (jitted(x) as ConcreteArray).dataSync();
      for (let c = 0; c < cols; c++) {
        let s = init;
        for (let r = 0; r < a * b; r++) {
          s = Math.fround(step(s, Math.fround(data[r * cols + c] * 1.5)));
        }
        assert.equal(got[c], s, `${name}, column ${c}`);
      }
    }
  });
});

/** A float32 wasm array of `shape` holding `scale * sin(seed + i * step)`. */
function wavy(shape: number[], seed: number, step = 1.7, scale = 5): ConcreteArray {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: size }, (_, i) => scale * Math.sin(seed + i * step));
  return ConcreteArray.fromHost(data, shape, "float32", "wasm");
}

Deno.test("fused kernels reading and writing bool masks run four lanes per vector, as op by op", async (t) => {
  const [n, c, h, w] = [3, 4, 5, 7];
  const values = (shape: number[], seed: number) => wavy(shape, seed, 1.3, 1);
  const x = values([n, c, h, w], 1), y = values([n, c, h, w], 2);
  const cases: [string, (...a: Array[]) => Array, Array[], RegExp][] = [
    [
      "a per-channel mask read as a splatted view (Dropout2d)",
      (x, m) => np.where(m, x.div(0.8), 0),
      [x, np.greater(values([n, c, 1, 1], 3), 0)],
      /v128\.load8_splat/,
    ],
    ["a full mask read as contiguous bytes (dropout)", (x, m) => np.where(m, x, 0), [
      x,
      np.greater(y, 0.1),
    ], /i32x4\.neg\(i32x4\.extend_low_i16x8_u/],
    [
      "comparisons stored as a bool array",
      (x, y) => np.logicalAnd(np.greater(x, 0.5), np.less(y, 0.2)),
      [
        x,
        y,
      ],
      /v128\.store32_lane/,
    ],
    ["row and column masks combined (random shifts)", (r, q) => np.logicalAnd(r, q), [
      np.greater(values([n, 1, h, 1], 4), 0),
      np.less(values([n, 1, 1, w], 5), 0),
    ], /v128\.and/],
  ];
  for (const [name, f, args, pattern] of cases) {
    await t.step(name, () =>
      withDefaultBackend("wasm", () => {
        const jitted = jit(f, { compile: "sync" });
        const code = jitted.lower(...args).compiled.assemblyscript;
        assert.match(code, /i3 \+= 4/, "a vector loop");
        assert.match(code, pattern);
        assert.deepEqual(jitted(...args).toArray(), f(...args).toArray());
      }));
  }
});

Deno.test("a fused reduction over the innermost axis accumulates four lanes per vector", async (t) => {
  const values = (shape: number[], seed: number) => wavy(shape, seed);
  await t.step(
    "sums over rows, over a whole vector, and a masked bias gradient, close to ref",
    () =>
      withDefaultBackend("wasm", () => {
        const mask = np.greater(values([3, 4, 1, 1], 9), 0);
        const cases: [(...a: Array[]) => Array, Array[]][] = [
          [(x) => np.sum(x.mul(1.5), -1), [values([5, 13], 1)]],
          [(x) => np.sum(x.mul(2), 0), [values([37], 2)]],
          [(x, m) => np.sum(np.where(m, x.div(0.8), 0), [0, 2, 3]), [
            values([3, 4, 5, 7], 3),
            mask,
          ]],
        ];
        for (const [f, args] of cases) {
          const jitted = jit(f, { compile: "sync" });
          assert.match(
            jitted.lower(...args).compiled.assemblyscript,
            /let acc0 = f32x4\.splat\(<f32>\(0\)\);/,
          );
          const got = jitted(...args);
          assertClose(got, f(...args.map((a) => toBackend(a, "ref"))), { rtol: 1e-5, atol: 1e-5 });
        }
      }),
  );
  await t.step(
    "a max over rows equals the scalar loop's, NaN included",
    () =>
      withDefaultBackend("wasm", () => {
        const [rows, cols] = [4, 11];
        const x = values([rows, cols], 4);
        const data = (x as ConcreteArray).dataSync();
        data[2 * cols + 6] = NaN;
        const xn = ConcreteArray.fromHost(data, [rows, cols], "float32", "wasm");
        const jitted = jit((x: Array) => np.max(x.mul(2), -1), { compile: "sync" });
        assert.match(
          jitted.lower(xn).compiled.assemblyscript,
          /let acc0 = f32x4\.splat\(<f32>\(-Infinity\)\);/,
        );
        const got = (jitted(xn) as ConcreteArray).dataSync();
        for (let r = 0; r < rows; r++) {
          let m = -Infinity;
          for (let c = 0; c < cols; c++) m = Math.max(m, Math.fround(data[r * cols + c] * 2));
          assert.equal(got[r], m, `row ${r}`);
        }
      }),
  );
});

Deno.test("sibling kernels with several outputs and lone fused reductions equal ref", () => {
  const f = (x: Array, w: Array) => {
    const h = x.matmul(w);
    const mask = np.greater(h, 0).astype("float32").add(np.equal(h, 0).mul(0.5));
    return [np.relu(h), mask, np.max(h, 1), np.sum(h, 0), np.sum(np.broadcastTo(w, [3, 40, 37]))];
  };
  const x = np.sin(np.linspace(0, 40, 96 * 40)).reshape([96, 40]);
  const w = np.cos(np.linspace(0, 30, 40 * 37)).reshape([40, 37]);
  const want = f(toBackend(x, "ref"), toBackend(w, "ref"));
  withDefaultBackend("wasm", () => {
    const jitted = jit(f, { compile: "sync" });
    const program = jitted.lower(onWasm(x), onWasm(w)).compiled.program;
    assert.doesNotMatch(program, /op\([^)]*\) -> \([^)]*\): v\d+=reduce_/, program);
    const got = jitted(onWasm(x), onWasm(w)) as Array[];
    want.forEach((v, i) => assertClose(got[i], v, { rtol: 1e-5, atol: 1e-5 }, `output ${i}`));
  });
});

Deno.test("fused int32 kernels run four lanes per vector, wrapping and exact as op by op", () => {
  // Integer index arithmetic (a random shift's source pixels, its in-image mask) in one loop.
  const I32_MIN = -(2 ** 31);
  const unary = [np.negative, np.abs, (v: Array) => v];
  const binary = [np.add, np.subtract, np.multiply, np.maximum, np.minimum];
  const cmps = [np.less, np.greaterEqual, np.equal];
  const step = fc.tuple(fc.nat(unary.length - 1), fc.nat(binary.length - 1), fc.boolean());
  fc.assert(
    fc.property(
      fc.array(step, { minLength: 1, maxLength: 4 }),
      fc.nat(cmps.length - 1),
      (steps, c) => {
        const f = (a: Array, b: Array, row: Array) => {
          let v = a;
          for (const [u, op, withRow] of steps) v = binary[op](unary[u](v), withRow ? row : b);
          const mask = cmps[c](v, b);
          const fromMask = np.add(mask.astype("int32"), b);
          return [v, np.where(mask, v, a), mask, np.add(v.astype("float32"), 0.5), fromMask];
        };
        const values = [0, 1, -1, 7, -9, 46341, -46341, 2 ** 30, I32_MIN, 2 ** 31 - 1];
        const cell = (i: number) => values[(i * 7 + 3) % values.length] + (i % 5) - 2;
        const data = (n: number, s: number) =>
          Int32Array.from({ length: n }, (_, i) => cell(i + s));
        withDefaultBackend("wasm", () => {
          const a = ConcreteArray.fromHost(data(5 * 9, 0), [5, 9], "int32", "wasm");
          const b = ConcreteArray.fromHost(data(5 * 9, 4), [5, 9], "int32", "wasm");
          const row = ConcreteArray.fromHost(data(9, 8), [9], "int32", "wasm");
          const jitted = jit(f, { compile: "sync" });
          assert.match(jitted.lower(a, b, row).compiled.assemblyscript, /i32x4\./);
          const got = jitted(a, b, row), want = f(a, b, row);
          want.forEach((w, i) => assert.deepEqual(got[i].toArray(), w.toArray(), `output ${i}`));
          const ref = f(toBackend(a, "ref"), toBackend(b, "ref"), toBackend(row, "ref"));
          ref.forEach((w, i) =>
            assert.deepEqual(got[i].toArray(), w.toArray(), `output ${i} vs ref`)
          );
        });
      },
    ),
    { numRuns: 8, seed: 5 },
  );
});
