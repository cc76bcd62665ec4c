/**
 * Simplification inside and across sub-jaxprs (scan, while, cond, calls): the printed jaxpr
 * shrinks as each rule says (dead outputs and operands removed from loops and branches, values
 * passed through forwarded, identical control flow merged, branches of known index inlined), and
 * for random loops and branches the simplified program, jitted on ref and wasm, gives the values
 * and gradients of the unsimplified one run eagerly.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type Array,
  checkpoint,
  grad,
  type Jaxpr,
  jit,
  lax,
  makeJaxpr,
  numpy as np,
  toBackend,
} from "../mod.ts";
import { simplify } from "../core/transforms/simplify.ts";
import { evalJaxpr } from "../core/jaxpr.ts";
import { assertClose } from "./util/assert_close.ts";
import { runs, seededArray } from "./util/arbitraries.ts";

const TOL = { rtol: 1e-9, atol: 1e-9 };
const BACKENDS = ["ref", "wasm"];

/** The simplified jaxpr of `f` at `args`, printed. */
function simplified(f: (...xs: any[]) => unknown, ...args: Array[]): string {
  return simplify(makeJaxpr(f)(...args)).toString();
}

/** The equations of a printed jaxpr (sub-jaxprs' too) applying `prim`. */
function count(text: string, prim: string): number {
  return text.split("\n").filter((l) => new RegExp(`= ${prim}[[ ]`).test(l)).length;
}

/** `name=value` params printed in `text`. */
function param(text: string, name: string): string[] {
  return [...text.matchAll(new RegExp(`${name}=(\\w+)`, "g"))].map((m) => m[1]);
}

const x3 = () => seededArray([3], 1);
const xs43 = () => seededArray([4, 3], 2);

Deno.test("scan: unused ys and dead carries leave the loop and its body", () => {
  const f = (h: Array, xs: Array) => {
    const [[a], ys] = lax.scan(
      ([a, b]: Array[], x: Array) => [[np.sin(a.add(x)), np.cos(b)], [np.tanh(x), np.exp(a)]],
      [h, h],
      xs,
    );
    return [a, ys[0]];
  };
  const before = makeJaxpr(f)(x3(), xs43()).toString();
  const after = simplified(f, x3(), xs43());
  assert.deepEqual(param(before, "numCarry"), ["2"]);
  assert.deepEqual(param(after, "numCarry"), ["1"]);
  assert.equal(count(after, "cos"), 0, after);
  assert.equal(count(after, "exp"), 0, after);
  assert.equal(count(after, "sin"), 1, after);
  assert.equal(count(after, "tanh"), 1, after);
});

Deno.test("scan: a carry feeding a live carry stays (a fixpoint over the body)", () => {
  // Only `c` is read, but `c` accumulates `b`, which accumulates `a`: all three stay.
  const f = (h: Array, xs: Array) => {
    const [[, , c]] = lax.scan(
      ([a, b, c]: Array[], x: Array) => [[np.sin(a.add(x)), b.add(a), c.add(b)], null],
      [h, h, h],
      xs,
    );
    return c;
  };
  const after = simplified(f, x3(), xs43());
  assert.deepEqual(param(after, "numCarry"), ["3"], after);
  // With `b` read instead, `c` goes.
  const g = (h: Array, xs: Array) => {
    const [[, b]] = lax.scan(
      ([a, b, c]: Array[], x: Array) => [[np.sin(a.add(x)), b.add(a), c.add(b)], null],
      [h, h, h],
      xs,
    );
    return b;
  };
  assert.deepEqual(param(simplified(g, x3(), xs43()), "numCarry"), ["2"]);
  for (const fn of [f, g]) {
    assertClose(
      jit(fn, { backend: "wasm" })(...toBackend([x3(), xs43()], "wasm")),
      fn(x3(), xs43()),
      TOL,
    );
  }
});

Deno.test("scan: consts and xs the body does not read are dropped from the operands", () => {
  const w = seededArray([3], 7), v = seededArray([3], 8);
  const f = (h: Array, xs: Array, zs: Array) => {
    const [[a, b]] = lax.scan(
      ([a, b]: Array[], [x, z]: Array[]) => [[a.mul(w).add(x), b.mul(v).add(z)], null],
      [h, h],
      [xs, zs],
    );
    void b;
    return a;
  };
  const jaxpr = simplify(makeJaxpr(f)(x3(), xs43(), seededArray([4, 3], 3)));
  const [scan] = jaxpr.eqns.filter((e) => e.prim.name === "scan");
  // One const (w), one carry (a), one xs (xs): v, b and zs are gone.
  assert.equal(scan.inputs.length, 3, jaxpr.toString());
  assert.deepEqual([scan.params.numConsts, scan.params.numCarry], [1, 1]);
  assert.equal((scan.params.jaxpr as Jaxpr).inBinders.length, 3);
});

Deno.test("scan: a carry passed through unchanged becomes a constant, its result the input", () => {
  const f = (...[h, k, xs]: Array[]) => {
    const [[a, kk], ys] = lax.scan(
      ([a, kk]: Array[], x: Array) => [[np.sin(a.add(kk)), kk], x],
      [h, k],
      xs,
    );
    return [a, kk, ys];
  };
  const args = [x3(), seededArray([3], 5), xs43()];
  const jaxpr = simplify(makeJaxpr(f)(...args));
  const [scan] = jaxpr.eqns;
  assert.deepEqual([scan.params.numConsts, scan.params.numCarry], [1, 1], jaxpr.toString());
  // The unchanged carry and the ys that is the step's x are read from the inputs.
  assert.equal(jaxpr.outs[1], jaxpr.inBinders[1]);
  assert.equal(jaxpr.outs[2], jaxpr.inBinders[2]);
  assert.equal(jaxpr.eqns.length, 1, jaxpr.toString());
  for (const backend of BACKENDS) {
    const got = jit(f, { backend })(...toBackend(args, backend)) as Array[];
    const want = f(...args) as Array[];
    got.forEach((g, i) => assertClose(g, want[i], TOL, `${backend} output ${i}`));
  }
});

Deno.test("scan: a ys computed from constants only is a broadcast after the loop", () => {
  // `u` reads only the captured `w`, `k` is a literal: both leave the loop; `v` reads the carry.
  const f = (h: Array, xs: Array, w: Array) => {
    const [c, ys] = lax.scan(
      (c: Array, x: Array) => [
        np.sin(c.mul(w)).add(x),
        [np.cos(w).mul(2), c.add(x), np.array(2, "float64")],
      ],
      h,
      xs,
    );
    return [c, ...(ys as Array[])];
  };
  for (const length of [0, 1, 4]) {
    const args = [x3(), seededArray([length, 3], 2), seededArray([3], 9)];
    const jaxpr = simplify(makeJaxpr(f)(...args));
    const text = jaxpr.toString();
    const at = jaxpr.eqns.findIndex((e) => e.prim.name === "scan");
    const scan = jaxpr.eqns[at];
    assert.equal(scan.outBinders.length, 2, text); // the carry and `v`
    assert.equal(count((scan.params.jaxpr as Jaxpr).toString(), "cos"), 0, text);
    const producer = (o: unknown) => jaxpr.eqns.findIndex((e) => e.outBinders.includes(o as never));
    const [u, v, k] = jaxpr.outs.slice(1).map(producer);
    assert.ok(u > at && k > at, text);
    assert.equal(v, at, text);
    assert.deepEqual([u, k].map((i) => jaxpr.eqns[i].prim.name), [
      "broadcast_in_dim",
      "broadcast_in_dim",
    ]);
    assert.deepEqual([u, k].map((i) => jaxpr.eqns[i].params.shape), [[length, 3], [length]]);
    checkAgainstEager(f, args, [true, true, true, true]);
  }
});

Deno.test("scan: what the steps compute from constants only is computed once, before the loop", () => {
  // `sin(w)` reads only the captured `w`: a new constant of the loop; the broadcast literals stay.
  const f = (h: Array, xs: Array, w: Array) => {
    const [c, ys] = lax.scan(
      (c: Array, x: Array) => [np.tanh(c.mul(np.sin(w)).add(x)), np.exp(w).mul(c)],
      h,
      xs,
      { reverse: true },
    );
    return [c as Array, ys as Array];
  };
  for (const length of [0, 1, 4]) {
    const args = [x3(), seededArray([length, 3], 2), seededArray([3], 9)];
    const jaxpr = simplify(makeJaxpr(f)(...args));
    const text = jaxpr.toString();
    const at = jaxpr.eqns.findIndex((e) => e.prim.name === "scan");
    const body = (jaxpr.eqns[at].params.jaxpr as Jaxpr).toString();
    assert.equal(count(body, "sin") + count(body, "exp"), 0, text);
    const before = jaxpr.eqns.slice(0, at).map((e) => e.prim.name);
    assert.ok(before.includes("sin") && before.includes("exp"), text);
    assert.deepEqual(jaxpr.eqns[at].params.numConsts, 2, text);
    checkAgainstEager(f, args, [true, true]);
  }
});

Deno.test("scan: a carry swapped with another is not forwarded", () => {
  const args = [x3(), seededArray([3], 6)];
  for (const length of [1, 2, 3]) {
    const f = (a0: Array, b0: Array) => {
      const [[a, b]] = lax.scan(([a, b]: Array[]) => [[b, a], null], [a0, b0], null, { length });
      return [a, b];
    };
    for (const backend of BACKENDS) {
      const got = jit(f, { backend })(...toBackend(args, backend)) as Array[];
      assertClose(got[0], args[length % 2], TOL, `${backend}, ${length} steps`);
      assertClose(got[1], args[1 - (length % 2)], TOL, `${backend}, ${length} steps`);
    }
  }
});

Deno.test("scan: the body is simplified inside (constant folding, CSE, dead code)", () => {
  const f = (h: Array, xs: Array) =>
    lax.scan(
      (c: Array, x: Array) => {
        const two = np.array(2).mul(np.array(3)); // folds to a literal
        void np.cos(x); // dead
        return [np.sin(c).add(np.sin(c)).mul(two).add(x), null];
      },
      h,
      xs,
    )[0];
  const before = makeJaxpr(f)(x3(), xs43()).toString();
  const after = simplified(f, x3(), xs43());
  assert.equal(count(before, "sin"), 2);
  assert.equal(count(after, "sin"), 1, after);
  assert.equal(count(after, "cos"), 0, after);
  assert.ok(!after.includes("= mul 2"), after);
  assertClose(
    jit(f, { backend: "wasm" })(...toBackend([x3(), xs43()], "wasm")),
    f(x3(), xs43()),
    TOL,
  );
});

Deno.test("while: dead carries go, carries the condition reads stay, unchanged ones are consts", () => {
  const f = (...[x, k]: Array[]) => {
    const [, a, , kk] = lax.whileLoop(
      ([i]: Array[]) => np.less(i, 3),
      ([i, a, b, kk]: Array[]) => [i.add(1), np.sin(a).add(kk), np.cos(b), kk],
      [np.array(0, "int32"), x, x, k],
    );
    return [a, kk];
  };
  const args = [x3(), seededArray([3], 9)];
  const jaxpr = simplify(makeJaxpr(f)(...args));
  const text = jaxpr.toString();
  const [loop] = jaxpr.eqns.filter((e) => e.prim.name === "while");
  // Carries i (the condition reads it) and a stay; b is dead; kk is a constant of the body
  // (not of the condition, which does not read it).
  assert.equal(loop.outBinders.length, 2, text);
  assert.equal(count(text, "cos"), 0, text);
  assert.equal(jaxpr.outs[1], jaxpr.inBinders[1], text);
  assert.deepEqual([loop.params.numCondConsts, loop.params.numBodyConsts], [0, 1], text);
  for (const backend of BACKENDS) {
    const got = jit(f, { backend })(...toBackend(args, backend)) as Array[];
    const want = f(...args) as Array[];
    got.forEach((g, i) => assertClose(g, want[i], TOL, `${backend} output ${i}`));
  }
});

Deno.test("cond: unused outputs and operands no branch reads are removed", () => {
  const f = (...[p, x, y, z]: Array[]) => {
    const [a] = lax.cond(
      p,
      (x: Array, y: Array, z: Array) => [np.sin(x), np.cos(y), np.exp(z)],
      (x: Array, y: Array, z: Array) => [np.tanh(x), np.tanh(y), z],
      x,
      y,
      z,
    );
    return a;
  };
  const args = [np.array(true), x3(), seededArray([3], 4), seededArray([3], 5)];
  const jaxpr = simplify(makeJaxpr(f)(...args));
  const text = jaxpr.toString();
  const [c] = jaxpr.eqns.filter((e) => e.prim.name === "cond");
  assert.equal(c.outBinders.length, 1, text);
  assert.equal(c.inputs.length, 2, text); // the index and x
  assert.equal(count(text, "cos") + count(text, "exp"), 0, text);
  for (const backend of BACKENDS) {
    for (const p of [true, false]) {
      const a = [np.array(p), ...args.slice(1)];
      assertClose(jit(f, { backend })(...toBackend(a, backend)), f(...a), TOL, `${backend} ${p}`);
    }
  }
});

Deno.test("cond: an output every branch takes from the same operand is that operand", () => {
  const f = (...[p, x, y]: Array[]) =>
    lax.cond(p, (x: Array, y: Array) => [x, np.sin(y)], (x: Array, y: Array) => [x, y], x, y);
  const g = (...[p, x, y]: Array[]) =>
    lax.cond(p, (x: Array, y: Array) => [x, y], (x: Array, y: Array) => [y, x], x, y);
  const args = [np.array(true), x3(), seededArray([3], 4)];
  const fj = simplify(makeJaxpr(f)(...args));
  assert.equal(fj.outs[0], fj.inBinders[1], fj.toString());
  // Branches returning different operands keep the cond's output.
  const gj = simplify(makeJaxpr(g)(...args));
  assert.notEqual(gj.outs[0], gj.inBinders[1], gj.toString());
  for (const backend of BACKENDS) {
    for (const p of [true, false]) {
      const a = [np.array(p), ...args.slice(1)];
      for (const fn of [f, g]) {
        const got = jit(fn, { backend })(...toBackend(a, backend)) as Array[];
        const want = fn(...a) as Array[];
        got.forEach((o, i) => assertClose(o, want[i], TOL, `${backend} ${p} ${i}`));
      }
    }
  }
});

Deno.test("cond and switch with a constant index are their taken branch, inlined", () => {
  const branches = [np.sin, np.cos, np.tanh];
  for (const [index, taken] of [[0, "sin"], [1, "cos"], [2, "tanh"], [7, "tanh"], [-3, "sin"]]) {
    const f = (x: Array) => lax.switch(index as number, branches, x);
    const after = simplified(f, x3());
    assert.equal(count(after, "cond"), 0, after);
    assert.deepEqual(
      ["sin", "cos", "tanh"].map((p) => count(after, p)),
      ["sin", "cos", "tanh"].map((p) => (p === taken ? 1 : 0)),
      `index ${index}: ${after}`,
    );
    assertClose(jit(f, { backend: "wasm" })(toBackend(x3(), "wasm")), f(x3()), TOL);
  }
  const c = (x: Array) => lax.cond(np.array(false), np.sin, np.cos, x);
  const after = simplified(c, x3());
  assert.equal(count(after, "cond") + count(after, "sin"), 0, after);
  assert.equal(count(after, "cos"), 1, after);
  // An index the function closes over is a literal of the jaxpr, known too.
  const k = np.array(1, "int32");
  const e = (x: Array) => lax.switch(k, branches, x);
  const fromConst = simplified(e, x3());
  assert.equal(count(fromConst, "cond") + count(fromConst, "sin"), 0, fromConst);
  assert.equal(count(fromConst, "cos"), 1, fromConst);
  // An index computed from the inputs keeps the cond.
  const d = (x: Array) => lax.cond(np.greater(np.sum(x), 0), np.sin, np.cos, x);
  assert.equal(count(simplified(d, x3()), "cond"), 1);
});

Deno.test("literal operands move into branches and loops, and fold there", () => {
  // A cond's literal operand: exp(2) folds inside the branch.
  const c = (p: Array, x: Array) =>
    lax.cond(p, (x: Array, k: Array) => x.mul(np.exp(k)), (x: Array, k: Array) => x.sub(k), x, 2);
  const p = np.greater(np.sum(x3()), 0);
  const cj = simplify(makeJaxpr(c)(p, x3()));
  const [eq] = cj.eqns.filter((e) => e.prim.name === "cond");
  assert.equal(eq.inputs.length, 2, cj.toString()); // the index and x
  assert.equal(count(cj.toString(), "exp"), 0, cj.toString());
  // A while loop's bound, a carry it passes through unchanged: a literal of the condition.
  const w = (x: Array) =>
    lax.foriLoop(np.array(0, "int32"), np.array(4, "int32"), (_: Array, c: Array) => np.sin(c), x);
  const wj = simplify(makeJaxpr(w)(x3()));
  const text = wj.toString();
  const [loop] = wj.eqns;
  assert.equal(loop.outBinders.length, 2, text);
  assert.deepEqual([loop.params.numCondConsts, loop.params.numBodyConsts], [0, 0], text);
  assert.ok(/= lt \w+ 4\n/.test(text), text);
  // A checkpoint's literal operand.
  const layer = checkpoint((x: Array, k: Array | number) => x.mul(np.cos(k)));
  const kj = simplify(makeJaxpr((x: Array) => layer(x, 0.5))(x3()));
  assert.equal(kj.eqns[0].inputs.length, 1, kj.toString());
  assert.equal(count(kj.toString(), "cos"), 0, kj.toString());
  for (const backend of BACKENDS) {
    for (const q of [true, false]) {
      const a = toBackend([np.array(q), x3()], backend);
      assertClose(jit(c, { backend })(...a), c(np.array(q), x3()), TOL, `${backend} cond ${q}`);
    }
    const x = toBackend(x3(), backend);
    assertClose(jit(w, { backend })(x), w(x3()), TOL, `${backend} while`);
    assertClose(jit((x: Array) => layer(x, 0.5), { backend })(x), layer(x3(), 0.5), TOL);
  }
});

Deno.test("CSE: identical loops and branches traced apart merge; different ones do not", () => {
  const body = (c: Array, x: Array): [Array, Array] => [np.sin(c.add(x)), c];
  const f = (h: Array, xs: Array) => {
    const [a] = lax.scan(body, h, xs);
    const [b] = lax.scan(body, h, xs);
    const [c] = lax.scan((c: Array, x: Array) => [np.cos(c.add(x)), c], h, xs);
    const [d] = lax.scan(body, h, xs, { reverse: true });
    return a.add(b).add(c).add(d);
  };
  const before = makeJaxpr(f)(x3(), xs43()).toString();
  const after = simplified(f, x3(), xs43());
  assert.equal(count(before, "scan"), 4);
  assert.equal(count(after, "scan"), 3, after);
  const g = (p: Array, x: Array) => {
    const a = lax.cond(p, np.sin, np.cos, x);
    const b = lax.cond(p, np.sin, np.cos, x);
    const c = lax.cond(p, np.cos, np.sin, x);
    return a.mul(b).add(c);
  };
  const p = np.greater(np.sum(x3()), 0);
  assert.equal(count(simplified(g, p, x3()), "cond"), 2);
  // Bodies that differ only in their equations' params (two axis orders) stay apart.
  const r = (h: Array, xs: Array) => {
    const t = (perm: number[]) => (c: Array, x: Array): [Array, null] => [
      np.transpose(c, perm).add(x),
      null,
    ];
    const [a] = lax.scan(t([1, 0, 2]), h, xs);
    const [b] = lax.scan(t([0, 2, 1]), h, xs);
    return a.sub(b);
  };
  const h = seededArray([2, 2, 2], 11), hs = seededArray([3, 2, 2, 2], 12);
  assert.equal(count(simplified(r, h, hs), "scan"), 2);
  assertClose(jit(r, { backend: "wasm" })(...toBackend([h, hs], "wasm")), r(h, hs), TOL);
  for (const backend of BACKENDS) {
    const a = toBackend([x3(), xs43()], backend);
    assertClose(jit(f, { backend })(...a), f(x3(), xs43()), TOL, backend);
  }
});

Deno.test("calls: checkpoint outputs that are inputs are forwarded, unused ones dropped", () => {
  const layer = checkpoint((x: Array, y: Array) => [np.sin(x), y, np.cos(x)]);
  const f = (x: Array, y: Array) => {
    const [a, b] = layer(x, y);
    return [a, b];
  };
  const jaxpr = simplify(makeJaxpr(f)(x3(), seededArray([3], 4)));
  const text = jaxpr.toString();
  assert.equal(jaxpr.outs[1], jaxpr.inBinders[1], text);
  const [call] = jaxpr.eqns.filter((e) => e.prim.name === "checkpoint");
  assert.equal(call.outBinders.length, 1, text);
  assert.equal(call.inputs.length, 1, text);
  assert.equal(count(text, "cos"), 0, text);
  // A jitted function called inside another is inlined (and then simplified with it).
  const inner = jit((x: Array, y: Array) => [np.sin(x), y]);
  const h = (x: Array, y: Array) => (inner(x, y) as Array[])[1];
  const hj = simplify(makeJaxpr(h)(x3(), seededArray([3], 4)));
  assert.equal(hj.eqns.length, 0, hj.toString());
  assert.equal(hj.outs[0], hj.inBinders[1]);
});

Deno.test("nested: loops and branches inside a loop body are simplified there too", () => {
  const f = (h: Array, xs: Array) =>
    lax.scan(
      (c: Array, x: Array) => {
        // A cond on a constant inside the body is its branch; a loop nobody reads is gone.
        const y = lax.cond(np.array(true), np.sin, np.cos, c.add(x));
        void lax.scan((d: Array) => [np.exp(d), null], c, null, { length: 2 });
        const [[z, unused]] = lax.scan(
          ([z, u]: Array[], w: Array) => [[np.tanh(z.add(w)), np.cos(u)], null],
          [y, c],
          np.stack([x, x]),
        );
        void unused;
        return [z, null];
      },
      h,
      xs,
    )[0];
  const before = makeJaxpr(f)(x3(), xs43()).toString();
  const after = simplified(f, x3(), xs43());
  assert.equal(count(before, "scan"), 3);
  assert.equal(count(after, "scan"), 2, after);
  assert.equal(count(after, "cond") + count(after, "exp") + count(after, "cos"), 0, after);
  assert.deepEqual(param(after, "numCarry"), ["1", "1"], after);
  const loss = (h: Array, xs: Array) => np.sum(f(h, xs));
  for (const backend of BACKENDS) {
    const a = toBackend([x3(), xs43()], backend);
    assertClose(jit(f, { backend })(...a), f(x3(), xs43()), TOL, backend);
    const g = jit(grad(loss, { argnums: [0, 1] }), { backend })(...a) as Array[];
    const want = grad(loss, { argnums: [0, 1] })(x3(), xs43()) as Array[];
    g.forEach((o, i) => assertClose(o, want[i], TOL, `${backend} gradient ${i}`));
  }
});

// Random loops and branches: the simplified program jitted on each backend against the
// unsimplified one run eagerly, in values and gradients.

/** Smooth maps a random step is built from. */
const SMOOTH = [np.tanh, np.sin, (x: Array) => np.exp(x.mul(-0.3)), np.sigmoid];

/** A value in a step: one of its sources unchanged, or a smooth map of a mix of two. */
type Step = { keep: number } | { f: number; a: number; b: number };

const step = (sources: number): fc.Arbitrary<Step> =>
  fc.oneof(
    fc.record({ keep: fc.nat(sources - 1) }),
    fc.record({ f: fc.nat(SMOOTH.length - 1), a: fc.nat(sources - 1), b: fc.nat(sources - 1) }),
  );

function apply(s: Step, src: Array[]): Array {
  if ("keep" in s) return src[s.keep];
  return SMOOTH[s.f](src[s.a].mul(0.5).add(src[s.b].mul(0.3)));
}

/** The sum of each output flagged in `use`, weighted by its position. */
function lossOf(outs: Array[], use: boolean[]): Array {
  return outs.reduce(
    (acc, o, i) => (use[i] ? acc.add(np.sum(o.mul(i + 1))) : acc),
    np.array(0, "float64"),
  );
}

/** Checks `f` jitted on each backend, and its gradient, against `f` run eagerly. */
function checkAgainstEager(f: (...xs: Array[]) => Array[], args: Array[], use: boolean[]) {
  const used = (...xs: Array[]) => f(...xs).filter((_, i) => use[i]);
  const loss = (...xs: Array[]) => lossOf(f(...xs), use);
  const want = used(...args);
  const wantGrad = grad(loss, { argnums: args.map((_, i) => i) })(...args) as Array[];
  const before = makeJaxpr(used)(...args);
  const after = simplify(before);
  // A loop-invariant ys hoisted out of its loop adds the one broadcast that stacks it.
  const lines = (j: Jaxpr) =>
    j.toString().split("\n").length - count(j.toString(), "broadcast_in_dim");
  assert.ok(lines(after) <= lines(before), after.toString());
  evalJaxpr(after, args).forEach((o, i) => assertClose(o, want[i], TOL, "simplified, eager"));
  for (const backend of BACKENDS) {
    const a = toBackend(args, backend);
    const got = jit(used, { backend, compile: "sync" })(...a) as Array[];
    got.forEach((o, i) => assertClose(o, want[i], TOL, `${backend} output ${i}`));
    const g = jit(grad(loss, { argnums: args.map((_, i) => i) }), { backend })(...a) as Array[];
    g.forEach((o, i) => assertClose(o, wantGrad[i], TOL, `${backend} gradient ${i}`));
  }
}

Deno.test("property: random scans simplified give the unsimplified values and gradients", () => {
  // Sources of a step: carries a, b, c, the step's x, the captured w.
  fc.assert(
    fc.property(
      fc.array(step(5), { minLength: 3, maxLength: 3 }),
      fc.array(step(5), { minLength: 2, maxLength: 2 }),
      fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
      fc.boolean(),
      fc.integer({ min: 0, max: 3 }),
      fc.nat(1000),
      (carrySteps, ySteps, use, reverse, length, seed) => {
        if (!use.some(Boolean)) use[0] = true;
        const w = seededArray([3], seed + 1);
        const f = (h: Array, xs: Array) => {
          const [carry, ys] = lax.scan(
            (c: Array[], x: Array) => {
              const src = [...c, x, w];
              return [carrySteps.map((s) => apply(s, src)), ySteps.map((s) => apply(s, src))];
            },
            [h, h.mul(0.5), np.cos(h)],
            xs,
            { reverse },
          );
          return [...carry, ...ys];
        };
        checkAgainstEager(f, [seededArray([3], seed), seededArray([length, 3], seed + 2)], use);
      },
    ),
    runs(12),
  );
});

Deno.test("property: random conds simplified give the unsimplified values and gradients", () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(step(3), { minLength: 3, maxLength: 3 }), { minLength: 2, maxLength: 3 }),
      fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
      fc.constantFrom("data", "literal"),
      fc.boolean(),
      fc.nat(1000),
      (branchSteps, use, indexKind, literalScale, seed) => {
        if (!use.some(Boolean)) use[1] = true;
        // Each branch scales by cos(k) of a scalar operand k: a literal, or computed.
        const branches = branchSteps.map((steps, b) => (...[x, y, z, k]: Array[]) =>
          steps.map((s) => apply(s, [x, y, z]).mul(np.cos(k.mul(b + 1))))
        );
        const f = (x: Array, y: Array, z: Array) => {
          const index = indexKind === "literal"
            ? seed % 4
            : np.floor(np.abs(np.sum(x)).mul(3)).astype("int32");
          const k = literalScale ? np.array(0.7, "float64") : np.sum(y).mul(0.1);
          return lax.switch(index, branches, x, y, z, k) as Array[];
        };
        const args = [1, 2, 3].map((k) => seededArray([3], seed + k));
        checkAgainstEager(f, args, use);
      },
    ),
    runs(12),
  );
});

Deno.test("property: random while loops simplified give the unsimplified values", () => {
  fc.assert(
    fc.property(
      fc.array(step(4), { minLength: 3, maxLength: 3 }),
      fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
      fc.integer({ min: 0, max: 3 }),
      fc.nat(1000),
      (steps, use, n, seed) => {
        if (!use.some(Boolean)) use[2] = true;
        const w = seededArray([3], seed + 1);
        const f = (x: Array) => {
          const [, ...carry] = lax.whileLoop(
            ([i]: Array[]) => np.less(i, n),
            ([i, ...c]: Array[]) => [i.add(1), ...steps.map((s) => apply(s, [...c, w]))],
            [np.array(0, "int32"), x, np.sin(x), x.mul(2)],
          );
          return (carry as Array[]).filter((_, i) => use[i]);
        };
        const x = seededArray([3], seed);
        const want = f(x);
        for (const backend of BACKENDS) {
          const got = jit(f, { backend })(...toBackend([x], backend)) as Array[];
          got.forEach((o, i) => assertClose(o, want[i], TOL, `${backend} output ${i}`));
        }
      },
    ),
    runs(12),
  );
});
