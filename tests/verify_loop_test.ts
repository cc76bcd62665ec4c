/**
 * The fused scan verifier (kernels/lowering/verify_loop.ts): the loop kernels of real scans (a
 * moving average, an Euler step with two carries, their gradients' reverse scans, in float32
 * and float64) have no problem, and each way of breaking one (a carry read from the wrong
 * input, a read of a value the scan lacks, a dtype or count that disagrees, a carry or slice
 * read through a broadcast, a reduction store) is named.
 */
import assert from "node:assert/strict";
import { grad, type Jaxpr, jit, lax, numpy as np } from "../mod.ts";
import type { ScanParams } from "../core/control/scan.ts";
import { simplify } from "../core/transforms/simplify.ts";
import { type FusedScan, fusedScan } from "../kernels/lowering/loop_fusion.ts";
import { loopProblems, verifyFusedScan } from "../kernels/lowering/verify_loop.ts";
import type { Array } from "../core/array.ts";

type Float = "float32" | "float64";

/** A scan with its simplified body and fused loop. */
interface Scan {
  p: ScanParams;
  body: Jaxpr;
  loop: FusedScan;
}

/** The fused scans of `jaxpr`'s scan equations (each must fuse). */
function scansOf(jaxpr: Jaxpr): Scan[] {
  return jaxpr.eqns.filter((e) => e.prim.name === "scan").map((e) => {
    const p = e.params as ScanParams, body = simplify(p.jaxpr);
    const loop = fusedScan(p, body);
    assert.ok(loop, `a fusible scan:\n${p.jaxpr}`);
    return { p, body, loop };
  });
}

const ema = (c0: Array, xs: Array) =>
  lax.scan(
    (c: Array, x: Array) => {
      const next = c.mul(0.9).add(x.mul(0.1));
      return [next, np.tanh(next)];
    },
    c0,
    xs,
  );

const euler = (x0: Array, v0: Array, w: Array) => {
  const [[x, v], trace] = lax.scan(
    ([x, v]: Array[]) => {
      const a = np.sin(w).sub(x.mul(4)).sub(v.mul(0.3));
      const nx = x.add(v.mul(0.01));
      return [[nx, v.add(a.mul(0.01))], nx];
    },
    [x0, v0],
    null,
    { length: 9 },
  );
  return np.sum(x).add(np.sum(v)).add(np.sum(trace as Array));
};

/** Every fused scan of the two models and their gradients, in `float`. */
function realScans(float: Float): Scan[] {
  const a = np.linspace(-1, 1, 6).astype(float), xs = np.ones([5, 6], float);
  const lossOfEma = (c0: Array, xs: Array) => np.sum(ema(c0, xs)[1] as Array);
  return [
    ...scansOf(jit(ema).lower(a, xs).jaxpr),
    ...scansOf(jit(grad(lossOfEma)).lower(a, xs).jaxpr),
    ...scansOf(jit(euler).lower(a, a, a).jaxpr),
    ...scansOf(jit(grad(euler, { argnums: [0, 1, 2] })).lower(a, a, a).jaxpr),
  ];
}

for (const float of ["float32", "float64"] as const) {
  Deno.test(`the loop kernels of real scans verify (${float})`, () => {
    const scans = realScans(float);
    assert.ok(scans.length >= 4, `${scans.length} scans`);
    for (const { p, body, loop } of scans) {
      assert.deepEqual(loopProblems(loop, p, body), [], `${p.jaxpr}`);
    }
  });
}

/** A way of breaking a fused scan and the problem the verifier must name. */
interface Tamper {
  what: string;
  breaks: (s: Scan) => FusedScan;
  names: RegExp;
}

const TAMPERS: Tamper[] = [
  {
    what: "a carry read from a memory input",
    breaks: ({ loop }) => ({ ...loop, carries: [{ ...loop.carries[0], input: 0 }] }),
    names: /carry 0 read from input 0, not 1/,
  },
  {
    what: "a read of a scanned input the scan lacks",
    breaks: ({ loop }) => ({ ...loop, reads: [{ kind: "xs", index: 3 }] }),
    names: /read 0: no xs 3/,
  },
  {
    what: "a read of an operand past the scan's consts",
    breaks: ({ loop }) => ({ ...loop, reads: [{ kind: "operand", index: 0 }] }),
    names: /read 0: no operand 0/,
  },
  {
    what: "an input of another dtype",
    breaks: ({ loop }) => ({ ...loop, body: { ...loop.body, inputs: ["int32", "float32"] } }),
    names: /read 0: float32 into a int32 input/,
  },
  {
    what: "a carry's next value in an output of another dtype",
    breaks: ({ loop }) => ({ ...loop, body: { ...loop.body, outputs: ["float32", "bool"] } }),
    names: /carry 0: float32 carried through a float32 input and a bool output/,
  },
  {
    what: "a carry missing",
    breaks: ({ loop }) => ({ ...loop, carries: [] }),
    names: /0 carries, scan has 1/,
  },
  {
    what: "a y missing",
    breaks: ({ loop }) => ({ ...loop, ys: 0 }),
    names: /0 ys, scan has 1/,
  },
  {
    what: "a scanned slice read through a broadcast",
    breaks: ({ loop }) => ({
      ...loop,
      body: {
        ...loop.body,
        loads: loop.body.loads.map((l) => (l.input === 0 ? { ...l, strides: [0] } : l)),
      },
    }),
    names: /load \d: carry or scanned input 0 read at strides \[0\]/,
  },
  {
    what: "a reduction store",
    breaks: ({ loop }) => ({
      ...loop,
      body: { ...loop.body, stores: loop.body.stores.map((s) => ({ ...s, reduce: "add" })) },
    }),
    names: /store 0: a add reduction in a loop kernel/,
  },
];

Deno.test("each way of breaking a fused scan is named", async (t) => {
  const [scan] = scansOf(jit(ema).lower(np.zeros([6]), np.ones([5, 6])).jaxpr);
  assert.equal(scan.loop.reads.length, 1);
  for (const { what, breaks, names } of TAMPERS) {
    await t.step(what, () => {
      const broken = breaks(scan);
      const problems = loopProblems(broken, scan.p, scan.body);
      assert.ok(problems.some((m) => names.test(m)), `${what}: ${problems.join("; ")}`);
      assert.throws(() => verifyFusedScan(broken, scan.p, scan.body), /fused scan verifier/);
    });
  }
});
