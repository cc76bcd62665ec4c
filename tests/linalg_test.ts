/**
 * lax.linalg and np.linalg: reconstruction identities in float64 on random well-conditioned
 * matrices (batched), jvp and grad against central differences (symmetric directions for the
 * symmetric-input decompositions), vmap against a loop, jit against eager, float32 against
 * float64, the webgpu refusal, and the errors for wrong shapes.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  AdjointError,
  type Array,
  grad,
  jit,
  jvp,
  lax,
  numpy as np,
  setDefaultBackend,
  ShapedArray,
  vjp,
  vmap,
} from "../mod.ts";
import { createWebGPUBackend } from "../kernels/webgpu/backend.ts";
import type { GpuRuntime } from "../kernels/webgpu/runtime.ts";
import { assertClose } from "./util/assert_close.ts";
import { runs, seededArray } from "./util/arbitraries.ts";
import { absInner, type ArrayFn, f64, hostData, inner, numericJvp } from "./util/finite_diff.ts";

const TIGHT = { rtol: 1e-10, atol: 1e-10 };
const FD = { rtol: 1e-6, atol: 1e-6 };

/** Swaps the last two axes. */
function mT(x: Array): Array {
  const axes = [...globalThis.Array(x.ndim).keys()];
  return np.transpose(x, [...axes.slice(0, -2), x.ndim - 1, x.ndim - 2]);
}

/** The `n x n` float64 matrix of ones strictly below the diagonal. */
function strictlyLower(n: number): Array {
  return f64(
    globalThis.Array.from({ length: n * n }, (_, f) => (f % n < Math.floor(f / n) ? 1 : 0)),
    [n, n],
  );
}

/** A batch shape (none, or one or two axes) and a seed. */
const batchArb = fc.record({
  batch: fc.constantFrom<number[][]>([], [2], [2, 3]),
  seed: fc.integer({ min: 1, max: 1 << 30 }),
});
const sizeArb = fc.integer({ min: 1, max: 5 });

/** `[...batch, n, n]` with eigenvalues bounded away from 0: `x + n I` for `x` in [-1, 1]. */
function wellConditioned(batch: number[], n: number, seed: number): Array {
  return seededArray([...batch, n, n], seed).add(np.eye(n, n, 0, "float64").mul(n + 1));
}

/** A symmetric positive definite `[...batch, n, n]`: `x x^T + I`. */
function spd(batch: number[], n: number, seed: number): Array {
  const x = seededArray([...batch, n, n], seed);
  return np.matmul(x, mT(x)).add(np.eye(n, n, 0, "float64"));
}

/** A symmetric `[...batch, n, n]` (eigenvalues distinct with probability one). */
function symmetric(batch: number[], n: number, seed: number): Array {
  const x = seededArray([...batch, n, n], seed);
  return x.add(mT(x));
}

function eyeLike(x: Array): Array {
  const n = x.shape[x.ndim - 1];
  return np.broadcastTo(np.eye(n, n, 0, "float64"), x.shape);
}

function assertTriangular(x: Array, lower: boolean, message: string): void {
  const [m, n] = x.shape.slice(-2), data = hostData(x);
  data.forEach((v, flat) => {
    const i = Math.floor(flat / n) % m, j = flat % n;
    if (lower ? j > i : j < i) assert.equal(v, 0, `${message}: entry (${i}, ${j}) is ${v}`);
  });
}

function assertOrthonormalColumns(q: Array, message: string): void {
  const g = np.matmul(mT(q), q);
  assertClose(g, eyeLike(g), TIGHT, message);
}

Deno.test("decompositions reconstruct their input (float64, batched)", async (t) => {
  await t.step("cholesky: L L^T = A, L lower triangular", () => {
    fc.assert(
      fc.property(batchArb, sizeArb, ({ batch, seed }, n) => {
        const a = spd(batch, n, seed);
        const l = lax.linalg.cholesky(a);
        assertTriangular(l, true, "L");
        assertClose(np.matmul(l, mT(l)), a, TIGHT);
        assertClose(np.linalg.cholesky(a, { upper: true }), mT(l), TIGHT);
      }),
      runs(20),
    );
  });
  await t.step("qr: Q R = A, Q orthonormal, R upper; reduced, complete and 'r'", () => {
    fc.assert(
      fc.property(batchArb, sizeArb, sizeArb, ({ batch, seed }, m, n) => {
        const a = seededArray([...batch, m, n], seed);
        const k = Math.min(m, n);
        const [q, r] = np.linalg.qr(a);
        assert.deepEqual([q.shape.slice(-2), r.shape.slice(-2)], [[m, k], [k, n]]);
        const [qc, rc] = np.linalg.qr(a, "complete");
        assert.deepEqual([qc.shape.slice(-2), rc.shape.slice(-2)], [[m, m], [m, n]]);
        for (const [qq, rr] of [[q, r], [qc, rc]]) {
          assertTriangular(rr, false, "R");
          assertOrthonormalColumns(qq, "Q^T Q");
          assertClose(np.matmul(qq, rr), a, TIGHT);
        }
        assertClose(np.linalg.qr(a, "r"), r, TIGHT);
      }),
      runs(20),
    );
  });
  await t.step("eigh: A V = V diag(w), V orthogonal, w ascending", () => {
    fc.assert(
      fc.property(batchArb, sizeArb, ({ batch, seed }, n) => {
        const a = symmetric(batch, n, seed);
        const [w, v] = np.linalg.eigh(a);
        assertOrthonormalColumns(v, "V^T V");
        assertClose(np.matmul(a, v), v.mul(np.expandDims(w, -2)), TIGHT);
        const ws = hostData(w);
        ws.forEach((x, i) => i % n === 0 || assert.ok(ws[i - 1] <= x, "w ascends"));
      }),
      runs(20),
    );
  });
  await t.step(
    "svd: U diag(s) V^T = A, U and V orthonormal, s descending; full and reduced",
    () => {
      fc.assert(
        fc.property(batchArb, sizeArb, sizeArb, ({ batch, seed }, m, n) => {
          const a = seededArray([...batch, m, n], seed);
          const k = Math.min(m, n);
          const [u, s, vh] = np.linalg.svd(a, { fullMatrices: false });
          assert.deepEqual([u.shape.slice(-2), s.shape.at(-1), vh.shape.slice(-2)], [
            [m, k],
            k,
            [k, n],
          ]);
          assertOrthonormalColumns(u, "U^T U");
          assertOrthonormalColumns(mT(vh), "V^T V");
          assertClose(np.matmul(u.mul(np.expandDims(s, -2)), vh), a, TIGHT);
          const [uf, sf, vhf] = np.linalg.svd(a);
          assert.deepEqual([uf.shape.slice(-2), vhf.shape.slice(-2)], [[m, m], [n, n]]);
          assertOrthonormalColumns(uf, "full U");
          assertOrthonormalColumns(vhf, "full V");
          assertClose(sf, s, TIGHT);
          assertClose(np.linalg.svd(a, { computeUv: false }), s, TIGHT);
          const ss = hostData(s);
          ss.forEach((x, i) => i % k === 0 || assert.ok(ss[i - 1] >= x, "s descends"));
        }),
        runs(20),
      );
    },
  );
  await t.step("svd of a rank-deficient matrix: zero singular values, orthonormal factors", () => {
    const a = f64([1, 2, 3, 2, 4, 6, 1, 1, 1, 3, 6, 9], [4, 3]); // rank 2
    const [u, s, vh] = np.linalg.svd(a);
    assert.ok(hostData(s)[2] < 1e-14, `smallest singular value ${hostData(s)[2]}`);
    assertOrthonormalColumns(u, "U");
    assertOrthonormalColumns(vh, "V");
    const us = np.index(u, np.s(), np.s(0, 3)).mul(s);
    assertClose(np.matmul(us, vh), a, TIGHT);
  });
  await t.step("lu: P A = L U with unit lower L", () => {
    fc.assert(
      fc.property(batchArb, sizeArb, ({ batch, seed }, n) => {
        const a = seededArray([...batch, n, n], seed);
        const [factors, pivots, permutation] = lax.linalg.lu(a);
        assert.equal(pivots.dtype, "int32");
        const l = np.add(np.multiply(factors, strictlyLower(n)), np.eye(n, n, 0, "float64"));
        const u = np.multiply(factors, strictlyLower(n).mul(-1).add(1));
        const p = np.oneHot(permutation, n, "float64");
        assertClose(np.matmul(p, a), np.matmul(l, u), TIGHT);
      }),
      runs(20),
    );
  });
});

Deno.test("triangularSolve solves op(a) x = b and x op(a) = b for every flag", () => {
  const flags = [false, true];
  fc.assert(
    fc.property(batchArb, sizeArb, sizeArb, ({ batch, seed }, m, k) => {
      const raw = wellConditioned(batch, m, seed);
      for (const leftSide of flags) {
        for (const lower of flags) {
          for (const transposeA of flags) {
            for (const unitDiagonal of flags) {
              const b = seededArray([...batch, ...(leftSide ? [m, k] : [k, m])], seed + 1);
              const opts = { leftSide, lower, transposeA, unitDiagonal };
              const x = lax.linalg.triangularSolve(raw, b, opts);
              // The triangle that is read, with the diagonal it stands for.
              const mask = lower ? strictlyLower(m) : mT(strictlyLower(m));
              const diag = np.eye(m, m, 0, "float64");
              let t = raw.mul(mask).add(unitDiagonal ? diag : raw.mul(diag));
              if (transposeA) t = mT(t);
              assertClose(
                leftSide ? np.matmul(t, x) : np.matmul(x, t),
                b,
                TIGHT,
                JSON.stringify(opts),
              );
            }
          }
        }
      }
    }),
    runs(10),
  );
});

Deno.test("solve, inv, det and slogdet satisfy their identities (float64, batched)", async (t) => {
  await t.step("a inv(a) = I and a solve(a, b) = b, for vector and matrix b", () => {
    fc.assert(
      fc.property(batchArb, sizeArb, ({ batch, seed }, n) => {
        const a = wellConditioned(batch, n, seed);
        assertClose(np.matmul(a, np.linalg.inv(a)), eyeLike(a), TIGHT);
        const bv = seededArray([...batch, n], seed + 1);
        const xv = np.linalg.solve(a, bv);
        assertClose(np.squeeze(np.matmul(a, np.expandDims(xv, -1)), -1), bv, TIGHT);
        const bm = seededArray([...batch, n, 3], seed + 2);
        assertClose(np.matmul(a, np.linalg.solve(a, bm)), bm, TIGHT);
      }),
      runs(20),
    );
  });
  await t.step("solve broadcasts leading axes and takes a 1-D b for batched a", () => {
    const a = wellConditioned([2], 3, 5), b = seededArray([3], 6);
    const x = np.linalg.solve(a, b);
    assert.deepEqual(x.shape, [2, 3]);
    assertClose(np.index(x, 1), np.linalg.solve(np.index(a, 1), b), TIGHT);
    const bm = seededArray([4, 1, 3, 2], 7);
    assert.deepEqual(np.linalg.solve(a, bm).shape, [4, 2, 3, 2]);
  });
  await t.step("det(a b) = det(a) det(b); slogdet = (sign, log|det|); closed forms", () => {
    fc.assert(
      fc.property(batchArb, sizeArb, ({ batch, seed }, n) => {
        const a = seededArray([...batch, n, n], seed), b = seededArray([...batch, n, n], seed + 1);
        const [da, db] = [np.linalg.det(a), np.linalg.det(b)];
        assertClose(np.linalg.det(np.matmul(a, b)), da.mul(db), TIGHT);
        const [sign, logabsdet] = np.linalg.slogdet(a);
        assertClose(sign, np.sign(da), TIGHT);
        assertClose(logabsdet, np.log(np.abs(da)), TIGHT);
      }),
      runs(20),
    );
    assert.equal(np.linalg.det(f64([1, 2, 3, 4], [2, 2])).item(), -2);
    assert.equal(np.linalg.det(f64([0, 1, 1, 0], [2, 2])).item(), -1);
    const [s0, l0] = np.linalg.slogdet(f64([1, 2, 2, 4], [2, 2]));
    assert.deepEqual([Math.abs(s0.item()), l0.item()], [0, -Infinity]);
    // An integer matrix promotes to float32, as in jnp.linalg.
    const di = np.linalg.det(np.array([[2, 0], [0, 3]]));
    assert.deepEqual([di.dtype, di.item()], ["float32", 6]);
  });
});

/** `norm` computed on the host from its definition. */
function hostNorm(x: number[][], ord: np.linalg.NormOrd): number {
  const abs = x.map((r) => r.map(Math.abs));
  const rowSums = abs.map((r) => r.reduce((s, v) => s + v, 0));
  const colSums = abs[0].map((_, j) => abs.reduce((s, r) => s + r[j], 0));
  const sq = Math.sqrt(abs.flat().reduce((s, v) => s + v * v, 0));
  const table: Record<string, () => number> = {
    "null": () => sq,
    "fro": () => sq,
    "1": () => Math.max(...colSums),
    "-1": () => Math.min(...colSums),
    "Infinity": () => Math.max(...rowSums),
    "-Infinity": () => Math.min(...rowSums),
  };
  return table[String(ord)]();
}

Deno.test("norm: vector and matrix norms, axis and keepdims, as jnp.linalg.norm", () => {
  const v = f64([3, -4, 0, 1], [4]);
  const cases: [np.linalg.NormOrd, number][] = [
    [null, Math.sqrt(26)],
    [2, Math.sqrt(26)],
    [1, 8],
    [Infinity, 4],
    [-Infinity, 0],
    [0, 3],
    [3, Math.cbrt(27 + 64 + 1)],
  ];
  for (const [ord, want] of cases) assertClose(np.linalg.norm(v, ord), want, TIGHT, `ord ${ord}`);
  const rows = [[1, -2, 3], [-4, 5, 6]];
  const m = np.array(rows, "float64");
  for (const ord of [null, "fro", 1, -1, Infinity, -Infinity] as np.linalg.NormOrd[]) {
    assertClose(np.linalg.norm(m, ord), hostNorm(rows, ord), TIGHT, `ord ${ord}`);
  }
  const s = hostData(np.linalg.svd(m, { computeUv: false }));
  assertClose(np.linalg.norm(m, "nuc"), s[0] + s[1], TIGHT);
  assertClose(np.linalg.norm(m, 2), s[0], TIGHT);
  assertClose(np.linalg.norm(m, -2), s[1], TIGHT);
  // Axes: a vector norm per row, a matrix norm over chosen axes, keepdims.
  assertClose(np.linalg.norm(m, { axis: 1 }), [Math.sqrt(14), Math.sqrt(77)], TIGHT);
  assertClose(np.linalg.norm(m, 1, 0), [5, 7, 9], TIGHT);
  assert.deepEqual(np.linalg.norm(m, { axis: 1, keepdims: true }).shape, [2, 1]);
  const batch = seededArray([2, 3, 4], 3);
  const per = np.linalg.norm(batch, { ord: Infinity, axis: [2, 1], keepdims: true });
  assert.deepEqual(per.shape, [2, 1, 1]);
  assertClose(
    np.reshape(per, [2]),
    [0, 1].map((i) => np.linalg.norm(mT(np.index(batch, i)), Infinity).item()),
    TIGHT,
  );
  assertClose(
    np.linalg.norm(batch),
    Math.sqrt(hostData(batch).reduce((a, x) => a + x * x, 0)),
    TIGHT,
  );
});

// ---------------------------------------------------------------- derivatives

/** A function under test: what it maps and the input it is checked at. */
interface DiffCase {
  name: string;
  f: ArrayFn;
  xs: (seed: number) => Array[];
  /** Makes each direction symmetric (for inputs whose upper triangle is not read). */
  symmetric?: boolean;
}

const sq = (x: Array) => x.mul(x);

const DIFF_CASES: DiffCase[] = [
  {
    name: "cholesky",
    f: (a) => lax.linalg.cholesky(a),
    xs: (s) => [spd([2], 4, s)],
    symmetric: true,
  },
  {
    name: "triangularSolve (left, lower)",
    f: (a, b) => lax.linalg.triangularSolve(a, b, { leftSide: true, lower: true }),
    xs: (s) => [wellConditioned([2], 3, s), seededArray([2, 3, 2], s + 1)],
  },
  {
    name: "triangularSolve (right, upper, transposeA)",
    f: (a, b) => lax.linalg.triangularSolve(a, b, { transposeA: true }),
    xs: (s) => [wellConditioned([], 3, s), seededArray([4, 3], s + 1)],
  },
  {
    name: "triangularSolve (left, unitDiagonal, wide b)",
    f: (a, b) => lax.linalg.triangularSolve(a, b, { leftSide: true, unitDiagonal: true }),
    xs: (s) => [wellConditioned([], 3, s), seededArray([3, 5], s + 1)],
  },
  { name: "lu factors", f: (a) => lax.linalg.lu(a)[0], xs: (s) => [wellConditioned([2], 4, s)] },
  { name: "qr (tall, reduced)", f: (a) => np.linalg.qr(a), xs: (s) => [seededArray([2, 5, 3], s)] },
  {
    name: "qr (square, complete)",
    f: (a) => np.linalg.qr(a, "complete"),
    xs: (s) => [seededArray([3, 3], s)],
  },
  {
    name: "eigh (values, squared vectors)",
    f: (a) => {
      const [w, v] = np.linalg.eigh(a);
      return [w, sq(v)];
    },
    xs: (s) => [symmetric([2], 4, s)],
    symmetric: true,
  },
  {
    name: "svd values",
    f: (a) => np.linalg.svd(a, { computeUv: false }),
    xs: (s) => [seededArray([2, 3, 4], s)],
  },
  {
    name: "svd (tall, reduced; squared vectors)",
    f: (a) => {
      const [u, s, vh] = np.linalg.svd(a, { fullMatrices: false });
      return [sq(u), s, sq(vh)];
    },
    xs: (s) => [seededArray([5, 3], s)],
  },
  {
    name: "svd (wide, reduced; squared vectors)",
    f: (a) => {
      const [u, s, vh] = np.linalg.svd(a, { fullMatrices: false });
      return [sq(u), s, sq(vh)];
    },
    xs: (s) => [seededArray([2, 3, 5], s)],
  },
  {
    name: "solve",
    f: (a, b) => np.linalg.solve(a, b),
    xs: (s) => [wellConditioned([2], 3, s), seededArray([2, 3], s + 1)],
  },
  { name: "inv", f: (a) => np.linalg.inv(a), xs: (s) => [wellConditioned([2], 3, s)] },
  { name: "det", f: (a) => np.linalg.det(a), xs: (s) => [seededArray([2, 3, 3], s)] },
  { name: "slogdet", f: (a) => np.linalg.slogdet(a)[1], xs: (s) => [seededArray([3, 3], s)] },
  {
    name: "norm (nuc, 2, fro, 1, inf)",
    f: (
      a,
    ) => [
      np.linalg.norm(a, "nuc"),
      np.linalg.norm(a, 2),
      np.linalg.norm(a, "fro"),
      np.linalg.norm(a, 1),
      np.linalg.norm(a, Infinity),
    ],
    xs: (s) => [seededArray([4, 3], s)],
  },
];

function asList(out: Array | Array[]): Array[] {
  return globalThis.Array.isArray(out) ? out : [out];
}

function directionsFor(c: DiffCase, xs: Array[], seed: number): Array[] {
  return xs.map((x, i) => {
    const v = seededArray(x.shape, seed + 100 + i);
    return c.symmetric ? v.add(mT(v)) : v;
  });
}

Deno.test("jvp and grad of every linalg function match central differences (float64)", async (t) => {
  for (const c of DIFF_CASES) {
    await t.step(c.name, () => {
      for (const seed of [11, 12]) {
        const xs = c.xs(seed), vs = directionsFor(c, xs, seed);
        const fd = asList(numericJvp(c.f, xs, vs));
        const [, tangents] = jvp((...a: Array[]) => c.f(...a), xs, vs) as [
          unknown,
          Array | Array[],
        ];
        asList(tangents).forEach((tg, k) => assertClose(tg, fd[k], FD, `jvp output ${k}`));
        // Reverse mode: <vjp(w), v> = <w, jvp(v)> for random cotangents w.
        const [outs, pullback] = vjp((...a: Array[]) => c.f(...a), ...xs);
        const ws = asList(outs as Array | Array[]).map((o, k) =>
          seededArray(o.shape, seed + 200 + k)
        );
        const cts = pullback(globalThis.Array.isArray(outs) ? ws : ws[0]) as Array[];
        const lhs = inner(cts, vs), rhs = inner(ws, fd);
        const scale = 1 + absInner(ws, fd);
        assert.ok(Math.abs(lhs - rhs) <= 1e-6 * scale, `<vjp(w), v> = ${lhs}, <w, fd> = ${rhs}`);
      }
    });
  }
});

Deno.test("second derivatives: grad of grad of log|det| and of a Cholesky solve", () => {
  const a = wellConditioned([], 3, 21), v = seededArray([3, 3], 22);
  const g = (x: Array) => grad((y: Array) => np.linalg.slogdet(y)[1])(x);
  // d/dA log|det A| = A^{-T}; its derivative along v is -A^{-T} v^T A^{-T}.
  const [, dg] = jvp(g, [a], [v]) as [Array, Array];
  const ainvT = mT(np.linalg.inv(a));
  assertClose(dg, np.matmul(np.matmul(ainvT, mT(v)), ainvT).mul(-1), TIGHT);
  const s = spd([], 3, 23), b = seededArray([3, 1], 24);
  const quad = (x: Array) => {
    const l = lax.linalg.cholesky(x);
    const y = lax.linalg.triangularSolve(l, b, { leftSide: true, lower: true });
    return np.sum(y.mul(y)); // b^T A^{-1} b
  };
  const hv = numericJvp(grad(quad), [s], [v.add(mT(v))]) as Array;
  const [, hvExact] = jvp(grad(quad), [s], [v.add(mT(v))]) as [Array, Array];
  assertClose(hvExact, hv, FD);
});

Deno.test("eigh's eigenvalue derivative stays correct for repeated eigenvalues", () => {
  // A = Q diag(1, 1, 3) Q^T: dw = diag(V^T dA V) is finite, sum(w) has gradient I.
  const [q] = np.linalg.qr(seededArray([3, 3], 31));
  const a = np.matmul(q.mul(f64([1, 1, 3], [3])), mT(q));
  const g = grad((x: Array) => np.sum(np.linalg.eigh(x)[0]))(a);
  assertClose(g, np.eye(3, 3, 0, "float64"), TIGHT);
});

// ---------------------------------------------------------------- transformations and backends

Deno.test("vmap equals a loop and jit equals eager", () => {
  const fs: [string, (x: Array) => Array[]][] = [
    ["cholesky", (x) => [lax.linalg.cholesky(x)]],
    ["qr", (x) => lax.linalg.qr(x, { fullMatrices: false })],
    ["eigh", (x) => {
      const [v, w] = lax.linalg.eigh(x);
      return [sq(v), w];
    }],
    ["svd", (x) => np.linalg.svd(x, { computeUv: false }) as unknown as Array[]],
    ["lu", (x) => lax.linalg.lu(x)],
    ["solve", (x) => [np.linalg.solve(x, np.ones([3], "float64"))]],
    ["det", (x) => [np.linalg.det(x), ...np.linalg.slogdet(x)]],
    ["inv", (x) => [np.linalg.inv(x)]],
    ["grad logdet", (x) => [grad((y: Array) => np.sum(np.linalg.slogdet(y)[1]))(x)]],
  ];
  const xs = spd([4], 3, 41);
  for (const [name, f] of fs) {
    const g = (x: Array) => asList(f(x) as Array | Array[]);
    const batched = asList(vmap(g)(xs) as Array[]);
    const loop = [0, 1, 2, 3].map((i) => g(np.index(xs, i)));
    batched.forEach((b, k) =>
      assertClose(b, np.stack(loop.map((r) => r[k])), TIGHT, `vmap ${name}`)
    );
    const jitted = asList(jit(g, { compile: "sync" })(xs) as Array[]);
    const eager = g(xs);
    jitted.forEach((j, k) => assertClose(j, eager[k], TIGHT, `jit ${name}`));
  }
  // vmap over the second operand only, and over a non-leading axis.
  const a = wellConditioned([], 3, 42), bs = seededArray([3, 5], 43);
  const viaVmap = vmap(
    (b: Array) => lax.linalg.triangularSolve(a, np.reshape(b, [3, 1]), { leftSide: true }),
    {
      inAxes: 1,
    },
  )(bs) as Array;
  assertClose(
    np.reshape(viaVmap, [5, 3]),
    mT(lax.linalg.triangularSolve(a, bs, { leftSide: true })),
    TIGHT,
  );
});

Deno.test("float32 on wasm agrees with float64 on ref within float32 tolerance", () => {
  const F32 = { rtol: 1e-4, atol: 1e-4 };
  const a64 = spd([2], 4, 51);
  const a32 = np.astype(a64, "float32");
  const fs: [string, (x: Array) => Array[]][] = [
    ["cholesky", (x) => [lax.linalg.cholesky(x)]],
    ["eigh values", (x) => [np.linalg.eigh(x)[0]]],
    ["svd values", (x) => [np.linalg.svd(x, { computeUv: false })]],
    ["inv", (x) => [np.linalg.inv(x)]],
    ["det", (x) => [np.linalg.det(x)]],
    ["grad logdet", (x) => [grad((y: Array) => np.sum(np.linalg.slogdet(y)[1]))(x)]],
  ];
  for (const [name, f] of fs) {
    const lo = f(a32), hi = f(a64);
    lo.forEach((x, k) => {
      assert.equal(x.dtype, "float32", name);
      assertClose(np.astype(x, "float64"), hi[k], F32, name);
    });
  }
});

Deno.test("the ref backend computes the same as wasm", () => {
  const a = spd([2], 3, 61);
  const wasm = np.linalg.eigh(a)[0].toArray();
  setDefaultBackend("ref");
  try {
    const ref = np.linalg.eigh(f64(hostData(a), a.shape))[0];
    assertClose(ref, wasm, { rtol: 0, atol: 0 });
  } finally {
    setDefaultBackend("wasm");
  }
});

Deno.test("linalg errors name the operation, what was given and what was expected", () => {
  const cases: [() => unknown, RegExp][] = [
    [
      () => np.linalg.inv(seededArray([2, 3], 1)),
      /np\.linalg\.inv: expected a square matrix \[\.\.\., n, n\].*got f64\[2,3\]/,
    ],
    [
      () => np.linalg.det(seededArray([3], 1)),
      /np\.linalg\.det: expected a square matrix.*got f64\[3\]/,
    ],
    [
      () => lax.linalg.cholesky(np.array([[1, 0], [0, 1]], "int32")),
      /lax\.linalg\.cholesky: .*float32 or float64, got i32\[2,2\]/,
    ],
    [() => np.linalg.qr(seededArray([4], 1)), /np\.linalg\.qr: expected a matrix \[\.\.\., m, n\]/],
    [
      () =>
        lax.linalg.triangularSolve(seededArray([3, 3], 1), seededArray([2, 3], 2), {
          leftSide: true,
        }),
      /triangular_solve: a is f64\[3,3\], so b must be \[\.\.\., 3, k\] of float64 with a's batch axes, got f64\[2,3\]/,
    ],
    [
      () => lax.linalg.triangularSolve(seededArray([2, 3, 3], 1), seededArray([3, 3, 3], 2)),
      /triangular_solve: .*with a's batch axes, got f64\[3,3,3\]/,
    ],
    [
      () => np.linalg.solve(seededArray([3, 3], 1), seededArray([4], 2)),
      /np\.linalg\.solve: a is f64\[3,3\], so b must be \[\.\.\., 3\] or \[\.\.\., 3, k\], got f64\[4\]/,
    ],
    [
      () => np.linalg.norm(seededArray([2, 2, 2], 1), 1),
      /np\.linalg\.norm: ord 1 needs a 1-D or 2-D array or an axis/,
    ],
    [
      () => np.linalg.norm(seededArray([2, 2], 1), 3),
      /np\.linalg\.norm: ord 3 is not a matrix norm/,
    ],
    [
      () => np.linalg.norm(seededArray([2], 1), "nuc"),
      /np\.linalg\.norm: ord "nuc" \(a string\) is a matrix norm; a vector norm takes a number/,
    ],
    [() => np.linalg.norm(seededArray([2], 1), { order: 2 } as never), /unknown option "order"/],
    [
      () => np.linalg.svd(seededArray([2, 2], 1), { full_matrices: false } as never),
      /np\.linalg\.svd: unknown option "full_matrices"/,
    ],
    [
      () =>
        lax.linalg.triangularSolve(
          seededArray([2, 2], 1),
          seededArray([2, 2], 1),
          { left: true } as never,
        ),
      /lax\.linalg\.triangularSolve: unknown option "left"/,
    ],
    [
      () => grad((x: Array) => np.sum(np.linalg.qr(x)[1]))(seededArray([2, 3], 1)),
      /qr: the derivative needs m >= n/,
    ],
    [
      () => grad((x: Array) => np.sum(np.linalg.svd(x)[0]))(seededArray([3, 3], 1)),
      /svd: the derivative of the full U and V\^T/,
    ],
  ];
  for (const [f, re] of cases) {
    assert.throws(
      f,
      (e: unknown) => e instanceof AdjointError && re.test((e as Error).message),
      String(re),
    );
  }
});

Deno.test("the webgpu backend refuses the decompositions, saying where they run", () => {
  // ruleFor is consulted before the runtime is touched, so no adapter is needed.
  const backend = createWebGPUBackend({} as GpuRuntime);
  const aval = new ShapedArray([2, 2], "float32");
  assert.throws(
    () => backend.execute("cholesky", [], [aval], {}, [aval]),
    /cholesky: matrix decompositions have no webgpu kernel; they run on the ref and wasm backends/,
  );
});
