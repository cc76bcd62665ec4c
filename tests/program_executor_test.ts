/**
 * The shared program executor (kernels/lowering/program_executor.ts) through a fake machine on
 * the ref backend whose every kernel runs its equations eagerly: kernels run in program order,
 * constants and literals are placed once (not per call), storage a call made is freed exactly
 * once and only after the last kernel reading it, outputs come back as the arguments themselves
 * or once per value, and a checked call records every kernel. The real backends are covered by
 * the differential tests (jit, fuzz, check); this pins the contract between executor and machine.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Array, makeJaxpr, numpy as np } from "../mod.ts";
import type { ConcreteArray } from "../core/array.ts";
import { withDefaultBackend } from "../core/backend.ts";
import type { TypedArray } from "../core/dtype.ts";
import { evalJaxpr, Literal, type Var } from "../core/jaxpr.ts";
import { bind } from "../core/trace.ts";
import { simplify } from "../core/transforms/simplify.ts";
import type { KernelValues } from "../kernels/lowering/check_program.ts";
import { fuse, type Kernel, type KernelProgram } from "../kernels/lowering/fusion.ts";
import {
  type KernelCall,
  type KernelMachine,
  placeConstants,
  programRunner,
} from "../kernels/lowering/program_executor.ts";
import { seededArray } from "./util/arbitraries.ts";

/** What the fake machine saw. */
interface Log {
  /** Kernel indices in launch order. */
  launched: number[];
  /** Arrays passed to `storageOf`. */
  stored: ConcreteArray[];
  /** Each released array, with the kernel launched last before it was released. */
  released: Map<ConcreteArray, number>;
  /** Every array the kernels read, with the kernel that read it. */
  reads: [ConcreteArray, number][];
}

/** A machine whose kernels evaluate their equations op by op on the ref backend. */
function fakeMachine(program: KernelProgram, log: Log): KernelMachine<ConcreteArray, TypedArray> {
  const run = (k: Kernel, call: KernelCall<ConcreteArray>) => {
    const i = program.kernels.indexOf(k);
    log.launched.push(i);
    const local = new Map<Var, Array>();
    for (const v of k.inputs) log.reads.push([call.ref(v), i]);
    for (const e of k.eqns) {
      const ins = e.inputs.map((a) =>
        local.get(a as Var) ??
          (a instanceof Literal && k.kind === "fused" ? a.val : call.operand(a))
      );
      bind(e.prim, ins, e.params).forEach((y, j) => local.set(e.outBinders[j], y));
    }
    for (const v of k.outputs) call.bind(v, local.get(v) as ConcreteArray, true);
  };
  return {
    storageOf: (x) => {
      log.stored.push(x);
      return x;
    },
    planned: () => undefined,
    rules: { fused: run, op: run, alias: run, gemm: run },
    snapshot: (_v, x) => x.dataSync(),
    result: (_v, x) => x,
    release: (x) => {
      assert.ok(!log.released.has(x), "an array was released twice");
      log.released.set(x, log.launched[log.launched.length - 1]);
    },
    call: (f) => f(),
  };
}

const emptyLog = (): Log => ({ launched: [], stored: [], released: new Map(), reads: [] });

/** Programs with constants, op kernels reading literals, reshapes and repeated outputs. */
const CASES: { name: string; f: (x: Array, w: Array) => Array[] }[] = [
  {
    name: "a product, a reshape and a reduction, one output twice and an input returned",
    f: (x, w) => {
      const y = np.matmul(x, w).add(1);
      const z = np.sum(np.tanh(y.reshape([12])));
      return [z, y, z, x];
    },
  },
  {
    name: "a captured constant and two products in a row",
    f: (x, w) => {
      const c = np.arange(4).astype("float32");
      const h = np.matmul(np.exp(x), w).mul(c);
      return [np.matmul(h.reshape([6, 2]), w).sub(2)];
    },
  },
  {
    name: "an intermediate read by two kernels",
    f: (x, w) => {
      const y = np.matmul(x, w);
      return [np.matmul(y, np.transpose(w)).sub(np.matmul(y, np.transpose(w).mul(2)))];
    },
  },
  {
    name: "a product with a scalar (an op kernel reading a literal) and padding",
    f: (x, w) => [np.einsum(",ab->ab", np.array(-1.5), np.matmul(np.pad(x, 1, 2.5), np.pad(w, 1)))],
  },
];

Deno.test("kernels run in order, constants placed once, intermediates freed after the last read", () => {
  withDefaultBackend("ref", () => {
    for (const { name, f } of CASES) {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 1000 }), (seed) => {
          const x = seededArray([3, 2], seed) as ConcreteArray;
          const w = seededArray([2, 4], seed + 1) as ConcreteArray;
          const jaxpr = simplify(makeJaxpr(f)(x, w));
          const program = fuse(jaxpr);
          const log = emptyLog();
          const run = programRunner(
            program,
            placeConstants(program, x.backend),
            fakeMachine(program, log),
          );
          const placedOnce = log.stored.length;
          assert.equal(
            placedOnce,
            jaxpr.consts.length +
              new Set(
                program.kernels.filter((k) => k.kind !== "fused").flatMap((k) =>
                  k.eqns.flatMap((e) => e.inputs.filter((a) => a instanceof Literal))
                ),
              ).size,
            `${name}: constants and literals placed when the runner is made`,
          );
          for (let call = 0; call < 3; call++) {
            const before = log.launched.length;
            log.reads = [];
            log.released.clear();
            const seen: KernelValues<TypedArray>[] = [];
            const outs = run([x, w], call === 1 ? seen : undefined);
            assert.deepEqual(
              log.launched.slice(before),
              program.kernels.map((_, i) => i),
              `${name}: kernels launched in program order`,
            );
            assert.equal(
              log.stored.length,
              placedOnce + 2 * (call + 1),
              `${name}: only arguments stored per call`,
            );
            const want = evalJaxpr(jaxpr, [x, w]) as ConcreteArray[];
            outs.forEach((o, j) => assert.deepEqual([...o.dataSync()], [...want[j].dataSync()]));
            jaxpr.outs.forEach((a, j) => {
              const first = jaxpr.outs.indexOf(a);
              assert.equal(outs[j], outs[first], `${name}: a repeated output is one array`);
              const arg = jaxpr.inBinders.indexOf(a as Var);
              if (arg >= 0) {
                assert.equal(outs[j], [x, w][arg], `${name}: an input comes back as itself`);
              }
            });
            for (const [array, at] of log.released) {
              assert.ok(!outs.includes(array), `${name}: an output was released`);
              const lastRead = Math.max(
                ...log.reads.filter(([r]) => r === array).map(([, i]) => i),
              );
              assert.equal(at, lastRead, `${name}: released right after its last read`);
            }
            const intermediates = program.kernels.flatMap((k) => k.outputs).filter((v) =>
              !jaxpr.outs.includes(v) && program.kernels.some((k) => k.inputs.includes(v))
            );
            assert.equal(
              log.released.size,
              intermediates.length,
              `${name}: every intermediate freed`,
            );
            if (call === 1) {
              assert.equal(seen.length, program.kernels.length, `${name}: every kernel recorded`);
              seen.forEach((s, i) => {
                assert.equal(s.inputs.length, program.kernels[i].inputs.length);
                assert.equal(s.outputs.length, program.kernels[i].outputs.length);
              });
            }
          }
        }),
        { numRuns: 5 },
      );
    }
  });
});
