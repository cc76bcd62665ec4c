/**
 * `config.debugNans`: the first primitive that makes a NaN or an infinity is named with its
 * inputs' types and the line of user code that called it, eagerly, under grad and under jit (a
 * compiled program whose outputs hold one is run again without jit). Values that arrive already
 * non-finite pass, and nothing is checked when the switch is off. Every test restores the switch.
 */
import assert from "node:assert/strict";
import "../kernels/wasm/backend.ts";
import { type Array, config, grad, jit, numpy as np } from "../mod.ts";
import { withDefaultBackend } from "../core/backend.ts";
import { kernelLines, poke, withKernelHooks } from "./util/kernel_faults.ts";

/** Runs `fn` with debugNans set to `on` on the wasm backend, restoring the switch after. */
function withDebugNans<T>(on: boolean, fn: () => T): T {
  const before = config.update("debugNans", on);
  try {
    return withDefaultBackend("wasm", fn);
  } finally {
    config.update("debugNans", before);
  }
}

/** The line of this file that called `here`. */
function here(): number {
  const caller = new Error().stack!.split("\n")[2];
  return Number(caller.match(/debug_nans_test\.ts:(\d+):\d+\)?$/)![1]);
}

/** A regular expression for `at` this file's line `line`. */
const atLine = (line: number) =>
  new RegExp(`\\(at file://\\S*/tests/debug_nans_test\\.ts:${line}:`);

Deno.test("log(-1) is named eagerly, with its input and the calling line", () => {
  withDebugNans(true, () => {
    const [logOfMinusOne, line] = [() => np.log(np.array(-1, "float32")), here()];
    assert.throws(
      logOfMinusOne,
      (e: Error) => {
        assert.equal(e.name, "NonFiniteError");
        assert.match(
          e.message,
          /^log: made NaN at element \[\] of its output f32\[\] from input f32\[\] -1; config\.debugNans stops at the first primitive that makes a NaN or an infinity/,
        );
        assert.match(e.message, atLine(line));
        return true;
      },
    );
  });
});

Deno.test("an infinity is named too, at its element", () => {
  withDebugNans(true, () => {
    assert.throws(
      () => np.exp(np.array([1, 200, 2], "float32")),
      /^NonFiniteError: exp: made Infinity at element \[1\] of its output f32\[3\] from input f32\[3\] \(200 there\)/,
    );
  });
});

Deno.test("0/0 under jit on wasm is named at the division inside the jitted function", () => {
  withDebugNans(true, () => {
    const [f, line] = [(x: Array, y: Array) => x.div(y).add(1), here()];
    for (const compile of ["sync", "async"] as const) {
      assert.throws(
        () => jit(f, { compile })(np.array([1, 0], "float32"), np.array([2, 0], "float32")),
        (e: Error) => {
          assert.match(
            e.message,
            /^div: made NaN at element \[1\] of its output f32\[2\] from inputs f32\[2\] \(0 there\), f32\[2\] \(0 there\)/,
          );
          assert.match(e.message, atLine(line), `${compile}: the frame is inside f`);
          return true;
        },
      );
    }
  });
});

Deno.test("a NaN made by a gradient is named, eagerly and under jit", () => {
  withDebugNans(true, () => {
    // sqrt(0) is 0 and times 0 finite, but its derivative's 0 / (2 sqrt(0)) is NaN.
    const g = grad((x: Array) => np.sum(np.sqrt(x).mul(0)));
    const x = np.array([0, 1], "float32");
    for (const run of [g, jit(g, { compile: "sync" })]) {
      assert.throws(
        () => run(x),
        /^NonFiniteError: div: made NaN at element \[0\] of its output f32\[2\] from inputs f32\[2\] \(0 there\), f32\[2\] \(0 there\)/,
      );
    }
  });
});

Deno.test("without the switch the same programs give NaN silently", () => {
  withDebugNans(false, () => {
    assert.ok(Number.isNaN(np.log(np.array(-1, "float32")).item()));
    const f = jit((x: Array, y: Array) => x.div(y), { compile: "sync" });
    assert.ok(Number.isNaN(f(np.array([0], "float32"), np.array([0], "float32")).toArray()[0]));
    assert.ok(
      Number.isNaN(
        grad((x: Array) => np.sum(np.sqrt(x).mul(0)))(np.array([0], "float32")).toArray()[0],
      ),
    );
  });
});

Deno.test("values that arrive non-finite pass, eagerly and under jit", () => {
  withDebugNans(true, () => {
    assert.equal(np.max(np.full([3], -Infinity)).item(), -Infinity);
    const f = jit((x: Array) => np.maximum(x.mul(2), -1), { compile: "sync" });
    assert.deepEqual(f(np.array([NaN, -Infinity, 3])).toArray(), [NaN, -1, 6]);
  });
});

Deno.test("a NaN that only the compiled program makes is reported as a fault of the compiler", () => {
  withDebugNans(true, () => {
    const f = (x: Array) => np.exp(x).add(1);
    const x = np.array([0, 1, 2], "float32");
    const [kernel] = kernelLines(jit(f).lower(x).compiled.program);
    const hooks = { [kernel.name]: (args: number[]) => poke(args[kernel.inputs.length], 2, NaN) };
    assert.throws(
      () => withKernelHooks(hooks, () => jit(f, { compile: "sync" })(x)),
      /^AdjointError: jit: output 0 \(f32\[3\]\) of the compiled program holds NaN at \[2\] where the function run without jit gives 8\.389.*jit\(f, \{ check: true \}\) names the kernel that differs/,
    );
  });
});
