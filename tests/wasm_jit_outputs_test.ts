/**
 * Outputs of jitted programs on wasm own their memory: a program keeps its intermediates in one
 * arena that every call rewrites, so an output must never view it, even one that is a reshape
 * of an intermediate (the reshape runs on the prebuilt kernels and shares its input's block).
 */
import assert from "node:assert/strict";
import "../kernels/wasm/backend.ts";
import { type Array, jit, numpy as np, setDefaultBackend } from "../mod.ts";

/** Runs `fn` with the wasm backend as the default. */
function onWasm(fn: () => void): void {
  setDefaultBackend("wasm");
  try {
    fn();
  } finally {
    setDefaultBackend("ref");
  }
}

Deno.test("a jitted output that reshapes an intermediate keeps its value after the next call", () =>
  onWasm(() => {
    const f = jit((x: Array) => np.exp(x.mul(2)).add(1).reshape([-1]), { compile: "sync" });
    const a = f(np.array([[1, 2], [3, 4]]));
    const before = a.toArray();
    const b = f(np.array([[-1, -2], [-3, -4]]));
    assert.deepEqual(a.toArray(), before);
    assert.notDeepEqual(b.toArray(), before);
  }));

Deno.test("an output reshaping an intermediate that another output reduces stays intact", () =>
  onWasm(() => {
    const f = jit((x: Array) => {
      const y = np.exp(x.mul(2));
      return [y.reshape([-1]), np.sum(y)];
    }, { compile: "sync" });
    const [a] = f(np.array([[1, 2], [3, 4]])) as Array[];
    const before = a.toArray();
    f(np.array([[5, 6], [7, 8]]));
    assert.deepEqual(a.toArray(), before);
  }));

Deno.test("a donated loop over a step whose output is a reshape computes what eager steps do", () =>
  onWasm(() => {
    // The output lands in the arena slot where exp(flat) was, which the next call writes
    // before its last read of the input.
    const update = (x: Array) => {
      const flat = x.reshape([12]);
      const scale = np.dot(np.exp(flat), np.tanh(flat));
      return np.sin(flat.mul(scale.mul(0.1))).add(0.5).reshape([4, 3]);
    };
    const step = jit(update, { compile: "sync", donateArgnums: [0] });
    const start = np.linspace(-1, 1, 12).reshape([4, 3]);
    let eager = start, jitted = np.array(start.toArray() as number[][]);
    for (let i = 0; i < 5; i++) {
      eager = update(eager);
      jitted = step(jitted);
    }
    const [want, got] = [eager, jitted].map((x) => (x.toArray() as number[][]).flat());
    got.forEach((g, i) =>
      assert.ok(Math.abs(g - want[i]) < 1e-5, `element ${i}: ${g} vs ${want[i]}`)
    );
  }));
