import assert from "node:assert/strict";
import { grad, jit, numpy as np, tree, type Var } from "../mod.ts";
import { fuse, programToString } from "../kernels/lowering/fusion.ts";
import { byteSize, planMemory } from "../kernels/lowering/memory_plan.ts";
import { assertEachEquationOnce, assertInputsProducedEarlier } from "./util/program_checks.ts";

type Params = { w1: np.Array; b1: np.Array; w2: np.Array; b2: np.Array };

function mlpStep(p: Params, x: np.Array, y: np.Array): Params {
  const loss = (q: Params) => {
    const h = np.tanh(x.matmul(q.w1).add(q.b1));
    const logits = h.matmul(q.w2).add(q.b2);
    return np.mean(np.square(logits.sub(y)));
  };
  return tree.map((a: np.Array, g: np.Array) => a.sub(g.mul(0.1)), p, grad(loss)(p)) as Params;
}

function mlpJaxpr() {
  const p = { w1: np.zeros([4, 8]), b1: np.zeros([8]), w2: np.zeros([8, 3]), b2: np.zeros([3]) };
  return jit(mlpStep).lower(p, np.zeros([5, 4]), np.zeros([5, 3])).jaxpr;
}

Deno.test("fusion groups elementwise chains and keeps every equation exactly once", () => {
  const jaxpr = mlpJaxpr();
  const program = fuse(jaxpr);
  assertEachEquationOnce(program);
  const fused = program.kernels.filter((k) => k.kind === "fused");
  assert.ok(
    fused.some((k) => k.eqns.filter((e) => e.prim.name !== "broadcast_in_dim").length >= 3),
    programToString(program),
  );
  assert.ok(program.kernels.length < jaxpr.eqns.length, programToString(program));
});

Deno.test("fused kernels read only values produced earlier", () => {
  assertInputsProducedEarlier(fuse(mlpJaxpr()));
});

Deno.test("the memory plan never overlaps values that are alive together", () => {
  const program = fuse(mlpJaxpr());
  const plan = planMemory(program);
  const def = new Map<Var, number>(), last = new Map<Var, number>();
  program.kernels.forEach((k, i) => {
    for (const v of k.outputs) def.set(v, i);
    for (const v of k.inputs) last.set(v, i);
  });
  const planned = [...plan.offsets.keys()];
  for (const a of planned) {
    for (const b of planned) {
      const inPlace = plan.offsets.get(a) === plan.offsets.get(b) &&
        (def.get(b) === last.get(a) || def.get(a) === last.get(b));
      if (a === b || inPlace) continue;
      const overlapTime = def.get(a)! <= (last.get(b) ?? Infinity) &&
        def.get(b)! <= (last.get(a) ?? Infinity);
      const oa = plan.offsets.get(a)!, ob = plan.offsets.get(b)!;
      const overlapSpace = oa < ob + byteSize(b) && ob < oa + byteSize(a);
      assert.ok(!(overlapTime && overlapSpace), "two live values share memory");
    }
  }
  const total = planned.reduce((n, v) => n + byteSize(v), 0);
  assert.ok(
    plan.arenaBytes < total,
    `arena ${plan.arenaBytes} B should reuse memory (sum ${total} B)`,
  );
});

Deno.test("a broadcast of a broadcast is read as one view of the original value", () => {
  const f = (x: np.Array, y: np.Array) =>
    np.broadcastTo(np.broadcastTo(x, [3, 4]), [2, 3, 4]).mul(y);
  const jaxpr = jit(f).lower(np.array([1, 2, 3, 4]), np.zeros([2, 3, 4])).jaxpr;
  assertInputsProducedEarlier(fuse(jaxpr));
});

Deno.test("elementwise siblings reading the same value join one kernel with several outputs", () => {
  // relu and its derivative mask both read the product; neither reads the other.
  const f = (x: np.Array, w: np.Array) => {
    const h = x.matmul(w);
    return [np.relu(h), np.greater(h, 0).astype("float32").add(np.equal(h, 0).mul(0.5))];
  };
  const program = fuse(jit(f).lower(np.zeros([3, 4]), np.zeros([4, 5])).jaxpr);
  assertEachEquationOnce(program);
  assertInputsProducedEarlier(program);
  const fused = program.kernels.filter((k) => k.kind === "fused");
  assert.equal(fused.length, 1, programToString(program));
  assert.equal(fused[0].outputs.length, 2, programToString(program));
});

Deno.test("a reduction of a value no open kernel produced is a fused kernel of its own", () => {
  const f = (
    x: np.Array,
    w: np.Array,
  ) => [np.max(x.matmul(w), 1), np.sum(np.broadcastTo(w, [2, 4, 5]))];
  const program = fuse(jit(f).lower(np.zeros([3, 4]), np.zeros([4, 5])).jaxpr);
  assertEachEquationOnce(program);
  assertInputsProducedEarlier(program);
  const reductions = program.kernels.filter((k) =>
    k.eqns.some((e) => e.prim.name.startsWith("reduce_"))
  );
  assert.deepEqual(reductions.map((k) => k.kind), ["fused", "fused"], programToString(program));
  assert.deepEqual(reductions[1].space, [2, 4, 5], "the broadcast is read as a view");
});
