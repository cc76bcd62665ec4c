/**
 * Pytrees: flatten/unflatten round trips on random nested structures, key order, empty nodes,
 * map over several trees, structures and their differences, and prefix broadcasting (the rule
 * behind vmap's inAxes).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { AdjointError, numpy as np, type Tree, tree } from "../mod.ts";
import { broadcastPrefix, isLeaf, treeDifference } from "../core/tree.ts";
import { runs } from "./util/arbitraries.ts";

/** Random trees of numbers, strings, nulls, nested lists and objects. */
const trees: fc.Arbitrary<Tree> = fc.letrec<{ node: Tree }>((tie) => ({
  node: fc.oneof(
    { maxDepth: 4, depthIdentifier: "tree" },
    fc.double({ noNaN: true }),
    fc.string({ maxLength: 3 }),
    fc.constantFrom(null, undefined),
    fc.array(tie("node"), { maxLength: 3 }),
    fc.dictionary(fc.string({ minLength: 1, maxLength: 3 }), tie("node"), {
      maxKeys: 3,
      noNullPrototype: true,
    }),
  ),
})).node;

Deno.test("flatten then unflatten rebuilds any tree", () => {
  fc.assert(
    fc.property(trees, (t) => {
      const [leaves, def] = tree.flatten(t);
      assert.equal(def.numLeaves, leaves.length);
      assert.deepEqual(tree.unflatten(def, leaves), t);
      assert.ok(tree.structure(tree.unflatten(def, leaves)).equals(def));
    }),
    runs(200),
  );
});

Deno.test("leaves come in sorted key order; structures print with * for leaves", () => {
  const t = { b: [1, { d: 2, c: 3 }], a: 4, e: null };
  const [leaves, def] = tree.flatten(t);
  assert.deepEqual(leaves, [4, 1, 3, 2]);
  assert.equal(def.toString(), "{a: *, b: [*, {c: *, d: *}], e: null}");
  assert.deepEqual(tree.leaves([[], {}, undefined, [5]]), [5]);
});

Deno.test("arrays, functions and class instances are leaves; plain objects and lists are not", () => {
  const x = np.array([1, 2]);
  assert.ok(isLeaf(x) && isLeaf(3) && isLeaf("s") && isLeaf(new Map()) && isLeaf(() => 1));
  assert.ok(!isLeaf({}) && !isLeaf([]) && !isLeaf(null) && !isLeaf(undefined));
  assert.ok(!isLeaf(Object.create(null)));
  assert.deepEqual(tree.leaves({ w: x, n: [x] }), [x, x]);
});

Deno.test("unflatten with the wrong number of leaves is an error", () => {
  const def = tree.structure({ a: 1, b: [2, 3] });
  assert.throws(() => tree.unflatten(def, [1, 2]), (e: Error) => {
    assert.ok(e instanceof AdjointError);
    assert.match(
      e.message,
      /tree\.unflatten: structure \{a: \*, b: \[\*, \*\]\} has 3 leaves, but 2/,
    );
    return true;
  });
});

Deno.test("tree.map applies a function to corresponding leaves of several trees", () => {
  fc.assert(
    fc.property(trees, (t) => {
      const numeric = tree.map((v) => (typeof v === "number" ? 1 : 0), t);
      const summed = tree.map((a: number, b: number) => a + b, numeric, numeric);
      assert.ok(tree.structure(summed).equals(tree.structure(t)));
      assert.deepEqual(
        tree.leaves(summed),
        tree.leaves(t).map((v) => (typeof v === "number" ? 2 : 0)),
      );
    }),
    runs(100),
  );
  const params = { w: np.array([1, 2], "float32"), b: [np.array(3, "float32")] };
  const scaled = tree.map((p: np.Array, g: np.Array) => p.sub(g.mul(0.5)), params, params) as {
    w: np.Array;
    b: np.Array[];
  };
  assert.deepEqual(scaled.w.toArray(), [0.5, 1]);
  assert.deepEqual(scaled.b[0].toArray(), 1.5);
});

Deno.test("treeDifference names the first differing path", () => {
  const s = tree.structure;
  assert.equal(treeDifference(s({ a: [1, 2] }), s({ a: [1, 2] })), null);
  assert.equal(
    treeDifference(s({ a: [1, 2] }), s({ a: [1] })),
    "at tree.a: a list of 2 vs a list of 1",
  );
  assert.equal(
    treeDifference(s({ a: [1, { b: 1 }] }), s({ a: [1, 2] })),
    "at tree.a[1]: {b: *} vs *",
  );
  assert.equal(treeDifference(s({ a: 1 }), s({ b: 1 })), "at tree: keys {a} vs {b}");
});

Deno.test("a tree prefix broadcasts to every leaf below it", () => {
  const full = { a: [1, 2], b: { c: 3 }, d: 4 };
  assert.deepEqual(broadcastPrefix("test", 0, full), [0, 0, 0, 0]);
  assert.deepEqual(broadcastPrefix("test", { a: 1, b: null, d: [] }, { ...full, d: [] }), [
    1,
    1,
    null,
  ]);
  assert.deepEqual(broadcastPrefix("test", { a: [0, 1], b: { c: 2 }, d: null }, full), [
    0,
    1,
    2,
    null,
  ]);
  assert.throws(
    () => broadcastPrefix("vmap in_axes", { a: [0, 1, 2], b: 0, d: 0 }, full),
    /vmap in_axes: at tree\.a: a list of 3 vs a list of 2/,
  );
  assert.throws(() => broadcastPrefix("vmap in_axes", { a: 0 }, full), /missing key b/);
});
