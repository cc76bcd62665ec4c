/**
 * `jit(f, { check: true })` and `config.checkJit`: compiled programs run beside op-by-op
 * execution, and the first kernel that differs is named with its equations. Right programs must
 * pass; wrong ones are made by faults injected at the seams where compiled code runs: a fused
 * wasm kernel is wrapped (its module's exports, as `WebAssembly.Instance` hands them out) to
 * write a wrong value after it runs, an eager kernel that an "op" kernel of the program calls
 * returns a wrong value, and a WGSL kernel's source is changed before the runtime launches it.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import "../kernels/wasm/backend.ts";
import {
  type Array,
  config,
  grad,
  initWebGPU,
  jit,
  nn,
  numpy as np,
  toBackend,
  valueAndGrad,
} from "../mod.ts";
import type { DType } from "../core/dtype.ts";
import { withDefaultBackend } from "../core/backend.ts";
import { firstDifference } from "../kernels/lowering/check_program.ts";
import { wasmBackend } from "../kernels/wasm/backend.ts";
import type { WasmBuffer } from "../kernels/wasm/memory.ts";
import { GpuRuntime } from "../kernels/webgpu/runtime.ts";
import { evaluate, type Program, programs, show } from "./util/programs.ts";
import { runs, seededArray } from "./util/arbitraries.ts";
import { assertClose } from "./util/assert_close.ts";
import { escape, kernelLines, poke, withKernelHooks } from "./util/kernel_faults.ts";

const gpu = await initWebGPU();

/** grad of sum(max(w) - sum(w)) over rows: its kernel `v8 = div(1, v5)` has two outputs. */
const rowGrad = grad((w: Array) => np.sum(np.max(w, -1).sub(np.sum(w, -1))));
const rowInput = () => np.array([[1, 2], [4, 3]], "float32");

Deno.test("right programs pass under check and give the unchecked results", async (t) => {
  const cases: [string, (...xs: Array[]) => unknown, Array[]][] = [
    ["grad with a two-output kernel", rowGrad, [rowInput()]],
    [
      "grad of softmax cross-entropy at batch 4",
      grad((z: Array) => nn.softmaxCrossEntropy(z, np.array([0, 2, 1, 2], "int32"))),
      [np.linspace(-1, 1, 12).reshape([4, 3])],
    ],
    [
      "an MLP layer's loss and gradients (gemm with bias and relu)",
      valueAndGrad((w: Array, x: Array) => np.sum(np.relu(np.matmul(x, w).add(0.1)))),
      [seededArray([8, 5], 1).astype("float32"), seededArray([6, 8], 2).astype("float32")],
    ],
    [
      "int32 and bool values",
      (x: Array) => {
        const i = np.astype(x.mul(10), "int32");
        return [np.sum(i.mul(i), 0), np.greater(i, 2), np.argmax(x, -1)];
      },
      [seededArray([4, 6], 3).astype("float32")],
    ],
  ];
  for (const [name, f, args] of cases) {
    await t.step(name, () => {
      withDefaultBackend("wasm", () => {
        const checked = jit(f, { check: true })(...args);
        const plain = jit(f, { compile: "sync" })(...args);
        const flat = (
          v: unknown,
        ): Array[] => (globalThis.Array.isArray(v) ? v.flatMap(flat) : [v as Array]);
        flat(checked).forEach((x, i) => assertClose(x, flat(plain)[i], { rtol: 0, atol: 0 }));
      });
    });
  }
});

Deno.test("random programs and their gradients pass under check", () => {
  const n = 4;
  const inputs = [seededArray([n, n], 11), seededArray([n, n], 12)].map((x) => x.astype("float32"));
  fc.assert(
    fc.property(programs(2, 3), (p: Program) => {
      withDefaultBackend("wasm", () => {
        const f = (a: Array, b: Array) => evaluate(p, [a, b]);
        const loss = (a: Array, b: Array) => np.sum(np.sin(f(a, b)));
        try {
          jit(f, { check: true })(...inputs);
          jit(grad(loss, { argnums: [0, 1] }), { check: true })(...inputs);
        } catch (e) {
          throw new Error(`${show(p)}: ${(e as Error).message}`);
        }
      });
    }),
    runs(12),
  );
});

Deno.test("check names the fused kernel that computes a wrong output, with its equations", () => {
  withDefaultBackend("wasm", () => {
    const w = rowInput();
    const kernels = kernelLines(jit(rowGrad).lower(w).compiled.program);
    const target = kernels.find((k) => k.kind === "fused" && k.line.includes("div("))!;
    const output = target.outputs.indexOf(target.line.match(/(v\d+)=div\(/)![1]);
    let calls = 0;
    const faulty = () =>
      withKernelHooks({
        [target.name]: (args) => {
          calls++;
          poke(args[target.inputs.length + output], 1, 42);
        },
      }, () => jit(rowGrad, { check: true })(w));
    assert.throws(
      faulty,
      new RegExp(
        `^AdjointError: jit: check: kernel ${target.name} \\(fused\\) of the compiled program differs from ` +
          `op-by-op execution: its output ${target.outputs[output]} \\(f32\\[2\\]\\) at \\[1\\] ` +
          `is 42 where op by op gives 1\\.\\n  ${escape(target.line)}\\n`,
      ),
    );
    assert.ok(calls > 0, "the hooked kernel ran");
  });
});

Deno.test("the fault is real: without check the wrong value comes out silently", () => {
  withDefaultBackend("wasm", () => {
    const w = rowInput();
    const kernels = kernelLines(jit(rowGrad).lower(w).compiled.program);
    const target = kernels.find((k) => k.kind === "fused" && k.line.includes("div("))!;
    const output = target.outputs.indexOf(target.line.match(/(v\d+)=div\(/)![1]);
    const got = withKernelHooks({
      [target.name]: (args) => poke(args[target.inputs.length + output], 1, 42),
    }, () => jit(rowGrad, { compile: "sync" })(w));
    assert.notDeepEqual(got.toArray(), rowGrad(w).toArray());
  });
});

Deno.test("check names a kernel that reads a value overwritten after it was written", () => {
  withDefaultBackend("wasm", () => {
    const w = rowInput();
    const kernels = kernelLines(jit(rowGrad).lower(w).compiled.program);
    // A value written by one fused kernel and read two or more kernels later, past another.
    const [writer, value, reader] = kernels.flatMap((k, i) =>
      k.outputs.flatMap((v) => {
        const r = kernels.findIndex((c, j) => j > i + 1 && c.inputs.includes(v));
        return k.kind === "fused" && r > 0 && kernels[i + 1].kind === "fused" ? [[i, v, r]] : [];
      })
    )[0] as [number, string, number];
    const between = kernels[writer + 1];
    let address = -1;
    const hooks = {
      [kernels[writer].name]: (args: number[]) => {
        address = args[kernels[writer].inputs.length + kernels[writer].outputs.indexOf(value)];
      },
      [between.name]: () => poke(address, 0, 42),
    };
    assert.throws(
      () => withKernelHooks(hooks, () => jit(rowGrad, { check: true })(w)),
      new RegExp(
        `^AdjointError: jit: check: kernel ${
          kernels[reader].name
        } \\(fused\\) read ${value} \\(f32\\[2,2\\]\\) ` +
          `at \\[0,0\\] after its storage was overwritten: it held 42 where kernel ` +
          `${kernels[writer].name} wrote 0 \\(op by op: 0\\), so a kernel in between wrote over ` +
          `a value still needed\\.\\n  ${escape(kernels[reader].line)}\\n  ` +
          `${escape(kernels[writer].line)}\\n`,
      ),
    );
  });
});

Deno.test("check names an op kernel whose eager kernel returns a wrong value", () => {
  withDefaultBackend("wasm", () => {
    const f = (x: Array) => np.exp(np.transpose(x.mul(2)));
    const x = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]);
    const kernels = kernelLines(jit(f).lower(x).compiled.program);
    const target = kernels.find((k) => k.kind === "op" && k.line.includes("transpose"))!;
    const execute = wasmBackend.execute;
    let transposes = 0;
    // The check runs the program op by op first, then compiled: the second transpose is the
    // program's.
    (wasmBackend as { execute: typeof execute }).execute = (prim, ...rest) => {
      const outs = execute(prim, ...rest);
      if (prim === "transpose" && ++transposes === 2) poke((outs[0] as WasmBuffer).ptr, 3, -1);
      return outs;
    };
    try {
      assert.throws(
        () => jit(f, { check: true })(x),
        new RegExp(
          `^AdjointError: jit: check: kernel ${target.name} \\(op\\) of the compiled program differs from ` +
            `op-by-op execution: its output ${target.outputs[0]} \\(f32\\[3,2\\]\\) at \\[1,1\\] ` +
            `is -1 where op by op gives 1\\.\\n  ${escape(target.line)}\\n`,
        ),
      );
    } finally {
      (wasmBackend as { execute: typeof execute }).execute = execute;
    }
  });
});

Deno.test("config.checkJit checks every jitted program, and nothing is checked when it is off", () => {
  withDefaultBackend("wasm", () => {
    const w = rowInput();
    const kernels = kernelLines(jit(rowGrad).lower(w).compiled.program);
    const target = kernels.find((k) => k.kind === "fused" && k.line.includes("div("))!;
    const output = target.outputs.indexOf(target.line.match(/(v\d+)=div\(/)![1]);
    const hooks = { [target.name]: (a: number[]) => poke(a[target.inputs.length + output], 0, 7) };
    const before = config.update("checkJit", true);
    try {
      assert.throws(
        () => withKernelHooks(hooks, () => jit(rowGrad)(w)),
        new RegExp(`^AdjointError: jit: check: kernel ${target.name} \\(fused\\)`),
      );
      config.update("checkJit", false);
      assert.doesNotThrow(() => withKernelHooks(hooks, () => jit(rowGrad, { compile: "sync" })(w)));
      assert.throws(
        () => withKernelHooks(hooks, () => jit(rowGrad, { check: true })(w)),
        /^AdjointError: jit: check:/,
        "the option turns the check on when the switch is off",
      );
    } finally {
      config.update("checkJit", before);
    }
  });
});

Deno.test("values compare exactly for ints and bools, within a relative tolerance for floats", () => {
  const f32 = (xs: number[]) => new Float32Array(xs);
  const diff = (dtype: DType, a: number[], b: number[], scale = 0) =>
    firstDifference(dtype, f32(a), f32(b), scale);
  assert.equal(diff("float32", [1, NaN, Infinity, -0], [1, NaN, Infinity, 0]), -1);
  assert.equal(diff("float32", [1, Infinity], [1, -Infinity]), 1);
  assert.equal(diff("float32", [NaN], [0]), 0);
  assert.equal(diff("float32", [1e6], [Infinity]), 0);
  assert.equal(firstDifference("int32", new Int32Array([3, 4]), new Int32Array([3, 5]), 1e9), 1);
  assert.equal(firstDifference("bool", new Uint8Array([1, 0]), new Uint8Array([1, 1]), 1), 1);
  // float32: within 1e-3 of the larger of |want| and the scale; float64: within 1e-9.
  const f64 = (x: number) => new Float64Array([x]);
  fc.assert(
    fc.property(
      fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      fc.double({ min: 1e-3, max: 1e6, noNaN: true }),
      (want, scale) => {
        const tol = 1e-3 * Math.max(Math.abs(want), scale);
        assert.equal(firstDifference("float32", f32([want + tol / 2]), f32([want]), scale), -1);
        assert.equal(firstDifference("float32", f32([want + tol * 2]), f32([want]), scale), 0);
        assert.equal(firstDifference("float64", f64(want + tol * 1e-7), f64(want), scale), -1);
        assert.equal(firstDifference("float64", f64(want + tol * 1e-5), f64(want), scale), 0);
      },
    ),
  );
});

Deno.test({
  name: "on webgpu the next read throws the check's finding: the kernel and its equations",
  ignore: !gpu,
  fn: async () => {
    const w = toBackend(rowInput(), "webgpu");
    const right: Array = jit(rowGrad, { check: true })(w);
    assert.deepEqual([...await right.read()], [...rowGrad(rowInput()).dataSync()]);
    const kernels = kernelLines(jit(rowGrad).lower(w).compiled.program);
    const target = kernels.find((k) => k.kind === "fused" && k.line.includes("div("))!;
    const run = GpuRuntime.prototype.run;
    let changed = 0;
    GpuRuntime.prototype.run = function (kernel, buffers) {
      const source = kernel.source.replace(/\(1f \/ t/, "(2f / t");
      if (source !== kernel.source) changed++;
      return run.call(this, { ...kernel, source }, buffers);
    };
    try {
      const out = jit(rowGrad, { check: true })(w);
      await assert.rejects(
        out.read(),
        new RegExp(
          `^AdjointError: jit: check: kernel ${target.name} \\(fused\\) of the compiled program ` +
            `differs from op-by-op execution: its output v\\d+ \\(f32\\[2\\]\\) at \\[0\\] is 2 ` +
            `where op by op gives 1\\.\\n  ${escape(target.line)}\\n`,
        ),
      );
    } finally {
      GpuRuntime.prototype.run = run;
    }
    assert.ok(changed > 0, "the WGSL of the division kernel was changed");
    const after = jit(rowGrad, { check: true })(w);
    await after.read(); // the finding was thrown once; later checks start clean
  },
});
