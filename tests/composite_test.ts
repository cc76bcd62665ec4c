/**
 * Random composite programs (tests/util/programs.ts) checked for the laws that tie the
 * transformations together: gradients agree with finite differences and with forward mode,
 * `vmap` agrees with a loop, `jit` with eager evaluation, and the composed transformations
 * (`jit(grad(grad))`, `vmap(grad)`, `grad(jit)`, `grad(vmap)`, `jacfwd(jacrev)`) with their
 * unjitted, unbatched counterparts. Everything runs in float64.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type Array,
  grad,
  hessian,
  jacfwd,
  jacrev,
  jit,
  jvp,
  numpy as np,
  vjp,
  vmap,
} from "../mod.ts";
import { assertClose } from "./util/assert_close.ts";
import { arrayOf, runs, seededArray } from "./util/arbitraries.ts";
import { absInner, inner, numericJvp } from "./util/finite_diff.ts";
import { evaluate, type Program, programs } from "./util/programs.ts";

/** A program, its `[n, n]` inputs, and a batch of `batch` further input sets. */
interface Case {
  program: Program;
  xs: Array[];
  batched: Array[];
  seed: number;
}

const unit = (u: number) => u;

function cases(maxInputs = 3, maxDepth = 4): fc.Arbitrary<Case> {
  return fc.record({
    n: fc.integer({ min: 1, max: 3 }),
    k: fc.integer({ min: 1, max: maxInputs }),
    batch: fc.integer({ min: 1, max: 3 }),
  }).chain(({ n, k, batch }) =>
    fc.record({
      program: programs(k, maxDepth),
      xs: fc.tuple(...globalThis.Array.from({ length: k }, () => arrayOf([n, n], unit))),
      batched: fc.tuple(
        ...globalThis.Array.from({ length: k }, () => arrayOf([batch, n, n], unit)),
      ),
      seed: fc.integer({ min: 0, max: 1 << 30 }),
    })
  );
}

const TOL = { rtol: 1e-6, atol: 1e-6 };
const EXACT = { rtol: 1e-11, atol: 1e-11 };

function fnOf(c: Case): (...xs: Array[]) => Array {
  return (...xs) => evaluate(c.program, xs);
}

/** The scalar `sum(f(xs) * w)` for a fixed random weight `w`. */
function scalarOf(c: Case): (...xs: Array[]) => Array {
  const w = seededArray(c.xs[0].shape, c.seed + 7);
  return (...xs) => np.sum(np.multiply(evaluate(c.program, xs), w));
}

function directions(xs: Array[], seed: number): Array[] {
  return xs.map((x, i) => seededArray(x.shape, seed + i));
}

/** Element `b` of each batched input. */
function slice(batched: Array[], b: number): Array[] {
  return batched.map((x) => np.index(x, b));
}

function argnumsOf(xs: Array[]): number[] {
  return xs.map((_, i) => i);
}

Deno.test("grad of random programs matches central differences", () => {
  fc.assert(
    fc.property(cases(), (c) => {
      const F = scalarOf(c);
      const g = grad(F, { argnums: argnumsOf(c.xs) })(...c.xs) as Array[];
      const vs = directions(c.xs, c.seed);
      const fd = numericJvp(F, c.xs, vs) as Array;
      const dir = inner(g, vs);
      assert.ok(
        Math.abs(dir - fd.item()) <= 1e-6 * (1 + Math.abs(fd.item())),
        `<grad, v> = ${dir}, finite differences ${fd.item()}`,
      );
    }),
    runs(100),
  );
});

Deno.test("<vjp(u), v> equals <u, jvp(v)> on random programs", () => {
  fc.assert(
    fc.property(cases(), (c) => {
      const f = fnOf(c);
      const vs = directions(c.xs, c.seed);
      const [, ty] = jvp(f, c.xs, vs) as [Array, Array];
      const [y, pull] = vjp(f, ...c.xs) as [Array, (u: Array) => Array[]];
      const u = seededArray(y.shape, c.seed + 99);
      const lhs = inner(pull(u), vs), rhs = inner(u, ty);
      assert.ok(Math.abs(lhs - rhs) <= 1e-10 * (1 + absInner(u, ty)), `${lhs} vs ${rhs}`);
    }),
    runs(100),
  );
});

Deno.test("vmap(f) equals stacking f over the batch", async (t) => {
  await t.step("batch axis 0", () => {
    fc.assert(
      fc.property(cases(), (c) => {
        const f = fnOf(c);
        const expected = np.stack(
          globalThis.Array.from(
            { length: c.batched[0].shape[0] },
            (_, b) => f(...slice(c.batched, b)),
          ),
        );
        assertClose(vmap(f)(...c.batched), expected, EXACT);
      }),
      runs(60),
    );
  });
  await t.step("batch axes 1, 2, -1 and unmapped (null) arguments", () => {
    fc.assert(
      fc.property(
        cases(),
        fc.array(fc.constantFrom<number | null>(0, 1, 2, -1, null), { minLength: 3, maxLength: 3 }),
        (c, axesPool) => {
          const f = fnOf(c);
          const inAxes: (number | null)[] = c.batched.map((_, i) => axesPool[i]);
          if (!inAxes.some((a) => a !== null)) inAxes[0] = 1;
          const args = c.batched.map((x, i) => {
            const a = inAxes[i];
            return a === null ? c.xs[i] : np.moveaxis(x, 0, a);
          });
          const batch = c.batched[0].shape[0];
          const expected = np.stack(
            globalThis.Array.from(
              { length: batch },
              (_, b) =>
                f(...c.batched.map((x, i) => (inAxes[i] === null ? c.xs[i] : np.index(x, b)))),
            ),
          );
          assertClose(vmap(f, { inAxes })(...args), expected, EXACT);
          assertClose(
            vmap(f, { inAxes, outAxes: 1 })(...args),
            np.moveaxis(expected, 0, 1),
            EXACT,
          );
        },
      ),
      runs(60),
    );
  });
  await t.step("pytree arguments with a pytree of in_axes", () => {
    fc.assert(
      fc.property(cases(3), (c) => {
        const f = fnOf(c);
        const [x0, ...rest] = c.batched;
        const tree = { a: np.moveaxis(x0, 0, 1), rest: { list: rest } };
        const inAxes = [{ a: 1, rest: { list: rest.map(() => 0) } }];
        const g = (t: { a: Array; rest: { list: Array[] } }) => ({
          out: f(t.a, ...t.rest.list),
          twice: [np.multiply(f(t.a, ...t.rest.list), 2)],
        });
        const got = vmap(g, { inAxes })(tree) as { out: Array; twice: Array[] };
        const expected = np.stack(
          globalThis.Array.from({ length: x0.shape[0] }, (_, b) => f(...slice(c.batched, b))),
        );
        assertClose(got.out, expected, EXACT);
        assertClose(got.twice[0], np.multiply(expected, 2), EXACT);
      }),
      runs(40),
    );
  });
});

Deno.test("jit(f) equals f and traces once per input signature", () => {
  fc.assert(
    fc.property(cases(), (c) => {
      let traces = 0;
      const f = fnOf(c);
      const counted = (...xs: Array[]) => {
        traces++;
        return f(...xs);
      };
      const jf = jit(counted);
      assertClose(jf(...c.xs), f(...c.xs), EXACT);
      const again = c.xs.map((x) => np.add(x, 0.25));
      assertClose(jf(...again), f(...again), EXACT);
      assert.equal(traces, 1, "same shapes: one trace");
      jf(...c.xs.map((x) => np.pad(x, [0, 1])));
      assert.equal(traces, 2, "new shapes: one more trace");
    }),
    runs(60),
  );
});

Deno.test("hessian of random programs is symmetric and matches differences of grad", () => {
  fc.assert(
    fc.property(cases(2, 3), (c) => {
      const [x0, ...rest] = c.xs;
      const F = scalarOf(c);
      const F0 = (x: Array) => F(x, ...rest);
      const n2 = x0.size;
      const h = np.reshape(hessian(F0)(x0), [n2, n2]);
      assertClose(h, np.transpose(h), { rtol: 1e-9, atol: 1e-9 });
      const v = seededArray(x0.shape, c.seed);
      const fd = numericJvp(grad(F0), [x0], [v]) as Array;
      assertClose(np.matmul(h, np.reshape(v, [n2])), np.reshape(fd, [n2]), TOL);
    }),
    runs(40),
  );
});

Deno.test("jacfwd equals jacrev on random programs", () => {
  fc.assert(
    fc.property(cases(), (c) => {
      const f = fnOf(c);
      const [x0, ...rest] = c.xs;
      const f0 = (x: Array) => f(x, ...rest);
      assertClose(jacfwd(f0)(x0), jacrev(f0)(x0), { rtol: 1e-10, atol: 1e-10 });
    }),
    runs(50),
  );
});

Deno.test("composed transformations agree with their plain counterparts", async (t) => {
  await t.step("jit(grad(grad(f))) equals grad(grad(f)) and differences of grad(f)", () => {
    fc.assert(
      fc.property(cases(2, 3), fc.double({ min: 0.5, max: 1.5, noNaN: true }), (c, s0) => {
        const F = scalarOf(c);
        const G = (s: Array) => F(...c.xs.map((x) => np.multiply(x, s)));
        const s = np.array(s0, "float64");
        const plain = grad(grad(G))(s) as Array;
        assertClose(jit(grad(grad(G)))(s), plain, EXACT);
        const fd = numericJvp(grad(G), [s], [np.array(1, "float64")]) as Array;
        assertClose(plain, fd, { rtol: 1e-5, atol: 1e-5 });
      }),
      runs(40),
    );
  });
  await t.step("vmap(grad(f)) equals stacking grad(f)", () => {
    fc.assert(
      fc.property(cases(), (c) => {
        const F = scalarOf(c);
        const rest = c.xs.slice(1);
        const F0 = (x: Array) => F(x, ...rest);
        const X = c.batched[0];
        const expected = np.stack(
          globalThis.Array.from({ length: X.shape[0] }, (_, b) => grad(F0)(np.index(X, b))),
        );
        assertClose(vmap(grad(F0))(X), expected, EXACT);
      }),
      runs(50),
    );
  });
  await t.step("grad(jit(f)) equals grad(f)", () => {
    fc.assert(
      fc.property(cases(), (c) => {
        const F = scalarOf(c);
        const argnums = argnumsOf(c.xs);
        const expected = grad(F, { argnums })(...c.xs) as Array[];
        const got = grad(jit(F), { argnums })(...c.xs) as Array[];
        got.forEach((g, i) => assertClose(g, expected[i], EXACT));
      }),
      runs(50),
    );
  });
  await t.step("grad of sum(vmap(f)) equals stacking grad(f)", () => {
    fc.assert(
      fc.property(cases(), (c) => {
        const F = scalarOf(c);
        const rest = c.xs.slice(1);
        const F0 = (x: Array) => F(x, ...rest);
        const X = c.batched[0];
        const expected = np.stack(
          globalThis.Array.from({ length: X.shape[0] }, (_, b) => grad(F0)(np.index(X, b))),
        );
        assertClose(grad((Xs: Array) => np.sum(vmap(F0)(Xs)))(X), expected, EXACT);
      }),
      runs(50),
    );
  });
  await t.step("jacfwd(jacrev(f)) equals jacrev(jacrev(f)) and jit(jacfwd(jacrev(f)))", () => {
    fc.assert(
      fc.property(cases(2, 3), (c) => {
        const F = scalarOf(c);
        const rest = c.xs.slice(1);
        const F0 = (x: Array) => F(x, ...rest);
        const x0 = c.xs[0];
        const fr = jacfwd(jacrev(F0))(x0);
        assertClose(fr, jacrev(jacrev(F0))(x0), { rtol: 1e-10, atol: 1e-10 });
        assertClose(jit(jacfwd(jacrev(F0)))(x0), fr, EXACT);
      }),
      runs(30),
    );
  });
});
