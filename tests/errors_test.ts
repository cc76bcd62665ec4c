/**
 * Errors are part of the API: each message names the operation, what was given and what was
 * expected, says how to fix value-dependent branching, names the pytree path where structures
 * differ, and points at the line of user code that made the failing call.
 */
import assert from "node:assert/strict";
import {
  AdjointError,
  type Array,
  ConcretizationError,
  customVjp,
  grad,
  jit,
  jvp,
  lax,
  numpy as np,
  tree,
  vjp,
  vmap,
} from "../mod.ts";
import { assertClose } from "./util/assert_close.ts";

/** The error thrown by `fn`, which must be an AdjointError. */
function errorOf(fn: () => unknown): AdjointError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof AdjointError, `expected an AdjointError, got ${e}`);
    return e;
  }
  assert.fail("expected an error, none was thrown");
}

/** Asserts that `fn` throws an AdjointError whose message contains every one of `parts`. */
function assertMessage(fn: () => unknown, ...parts: string[]): AdjointError {
  const e = errorOf(fn);
  for (const p of parts) assert.ok(e.message.includes(p), `"${p}" not in: ${e.message}`);
  return e;
}

/** The line number of the caller. */
function lineHere(): number {
  const frame = new Error().stack!.split("\n")[2];
  return Number(frame.match(/:(\d+):\d+\)?$/)![1]);
}

Deno.test("shape and dtype errors name the operation and the operands", async (t) => {
  await t.step("np.add with incompatible shapes names both shapes", () => {
    const e = assertMessage(() => np.add(np.ones([2, 3]), np.ones([4])), "np.add", "[2,3]", "[4]");
    assert.equal(e.op, "np.add");
  });
  await t.step("np.matmul names the inner dimensions", () => {
    assertMessage(
      () => np.matmul(np.ones([2, 3]), np.ones([4, 5])),
      "np.matmul",
      "inner dimensions",
      "f32[2,3]",
      "f32[4,5]",
      "3 vs 4",
    );
  });
  await t.step("np.sin of int32 promotes, lax.sin of int32 is an error", () => {
    const y = np.sin(np.array([1, 2], "int32"));
    assert.equal(y.dtype, "float32");
    assertClose(y, [Math.sin(1), Math.sin(2)]);
    assertMessage(
      () => lax.sin(np.array([1, 2], "int32")),
      "sin",
      "expected a floating-point array",
      "i32[2]",
    );
  });
  await t.step("lax binary operations need equal dtypes", () => {
    assertMessage(
      () => lax.add(np.ones([2], "float64"), np.ones([2], "float32")),
      "add",
      "equal shapes and dtypes",
      "f64[2]",
      "f32[2]",
    );
  });
  await t.step("np.reshape names both sizes", () => {
    assertMessage(() => np.reshape(np.ones([2, 3]), [4, 2]), "np.reshape", "size 6", "[4,2]");
  });
  await t.step("an out-of-range axis names the valid range", () => {
    assertMessage(() => np.sum(np.ones([2, 3]), 2), "np.sum", "axis 2", "[-2, 1]");
  });
  await t.step("np.einsum names the letter whose sizes disagree", () => {
    assertMessage(
      () => np.einsum("ij,jk->ik", np.ones([2, 3]), np.ones([4, 5])),
      "np.einsum",
      `"j"`,
      "3",
      "4",
    );
  });
});

Deno.test("grad checks its function and arguments", async (t) => {
  await t.step("a non-scalar output", () => {
    assertMessage(() => grad(np.sin)(np.ones([3])), "grad", "float scalar", "f32[3]", "vjp");
  });
  await t.step("an integer argument", () => {
    assertMessage(
      () => grad(np.sum)(np.array([1, 2], "int32")),
      "grad",
      "float32 or float64",
      "i32[2]",
    );
  });
  await t.step("argnums out of range", () => {
    assertMessage(
      () => grad(np.sum, { argnums: 2 })(np.ones([3])),
      "grad",
      "argnums 2",
      "1 argument",
    );
  });
  await t.step("hasAux without a [loss, aux] pair", () => {
    assertMessage(() => grad(np.sum, { hasAux: true })(np.ones([3])), "grad", "[loss, aux]");
  });
  await t.step("jvp with a tangent of the wrong shape", () => {
    assertMessage(() => jvp(np.sin, [np.ones([2])], [np.ones([3])]), "jvp", "f32[3]", "f32[2]");
  });
  await t.step("forward mode through a customVjp function", () => {
    const f = customVjp(
      (x: Array) => x,
      (x: Array) => [x, []],
      (_res: unknown, ct: Array) => [ct],
    );
    assertMessage(() => jvp(f, [np.ones([2])], [np.ones([2])]), "customVjp", "not supported");
  });
});

Deno.test("branching on a traced value", async (t) => {
  const branchy = (read: (x: Array) => number) => (x: Array) => read(x) > 0 ? np.sin(x) : np.cos(x);
  const readers: [string, (x: Array) => number][] = [
    ["x.item()", (x) => x.item()],
    ["Number(x)", (x) => Number(x)],
  ];
  for (const [name, read] of readers) {
    await t.step(`under jit, ${name} says to use np.where or staticArgnums`, () => {
      const e = assertMessage(
        () => jit(branchy(read))(np.array(1)),
        "jit",
        "np.where",
        "staticArgnums",
      );
      assert.ok(e instanceof ConcretizationError);
    });
    await t.step(`under vmap, ${name} is an error naming vmap`, () => {
      assertMessage(() => vmap(branchy(read))(np.array([1, -1])), "vmap", "np.where");
    });
    await t.step(`under grad, ${name} works: values are concrete`, () => {
      const f = branchy(read);
      assertClose(grad(f)(np.array(0.5, "float64")), Math.cos(0.5), { rtol: 1e-12 });
      assertClose(grad(f)(np.array(-0.5, "float64")), -Math.sin(-0.5), { rtol: 1e-12 });
      assertClose(grad(grad(f))(np.array(0.5, "float64")), -Math.sin(0.5), { rtol: 1e-12 });
    });
  }
  await t.step("a static argument may control the program's structure under jit", () => {
    const f = jit((x: Array, flip: boolean) => (flip ? np.negative(x) : x), {
      staticArgnums: [1],
    });
    assertClose(f(np.array([1, 2]), true), [-1, -2]);
    assertClose(f(np.array([1, 2]), false), [1, 2]);
  });
});

Deno.test("pytree mismatches name the path where the structures differ", async (t) => {
  await t.step("tree.map", () => {
    assertMessage(
      () =>
        tree.map((a: number, b: number) => a + b, { a: 1, b: [1, { c: 2 }] }, { a: 1, b: [1, 2] }),
      "tree.map",
      "tree.b[1]",
    );
    assertMessage(
      () => tree.map((a: number, b: number) => a + b, { a: 1, b: [1, 2] }, { a: 1, b: [1] }),
      "tree.b",
      "a list of 2 vs a list of 1",
    );
  });
  await t.step("the cotangent given to a vjp function", () => {
    const [, pull] = vjp((x: Array) => ({ a: x, b: [x, { c: x }] }), np.ones([2]));
    assertMessage(
      () => pull({ a: np.ones([2]), b: [np.ones([2]), np.ones([2])] }),
      "vjp",
      "tree.b[1]",
    );
  });
});

Deno.test("a tracer that escapes its transformation is reported when used", async (t) => {
  const transforms: [string, (f: (x: Array) => Array) => (x: Array) => unknown][] = [
    ["jit", (f) => jit(f)],
    ["vmap", (f) => vmap(f)],
    ["jvp/grad", (f) => grad((x: Array) => np.sum(f(x)))],
  ];
  for (const [name, transform] of transforms) {
    await t.step(name, () => {
      let leaked: Array | undefined;
      transform((x) => {
        leaked = np.multiply(x, 2);
        return x;
      })(np.ones([2]));
      assertMessage(() => np.add(leaked!, 1), `escaped from the ${name}`, "outer variable");
      assertMessage(() => leaked!.toArray(), `escaped from the ${name}`);
    });
  }
});

Deno.test("indexing and batching errors", async (t) => {
  await t.step("take with an out-of-range index, eagerly and under jit", () => {
    const idx = np.array([0, 5], "int32");
    assertMessage(() => np.take(np.ones([3]), idx).toArray(), "take", "index 5", "size 3");
    assertMessage(() => jit((x: Array) => np.take(x, idx))(np.ones([3])), "take", "index 5");
  });
  await t.step("np.index out of bounds", () => {
    assertMessage(() => np.index(np.ones([3]), 5), "np.index", "index 5", "size 3");
  });
  await t.step("vmap with mapped axes of different sizes", () => {
    assertMessage(
      () => vmap(np.add)(np.ones([2, 3]), np.ones([3, 3])),
      "vmap",
      "[2,3] axis 0",
      "[3,3] axis 0",
    );
  });
});

Deno.test("errors point at the user's file and line", () => {
  const [line, add] = [lineHere(), () => np.add(np.ones([2]), np.ones([3]))];
  const e = errorOf(add);
  assert.match(e.message, new RegExp(`\\(at file:.*/tests/errors_test\\.ts:${line}:\\d+\\)$`));
  const [jitLine, square] = [lineHere(), (x: Array) => np.matmul(x, x)];
  const je = errorOf(() => jit(square)(np.ones([2, 3])));
  assert.match(je.message, new RegExp(`errors_test\\.ts:${jitLine}:\\d+\\)$`));
});
