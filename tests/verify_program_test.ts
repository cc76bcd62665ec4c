import assert from "node:assert/strict";
import { type Array, config, grad, makeJaxpr, numpy as np } from "../mod.ts";
import { fuse, type KernelProgram } from "../kernels/lowering/fusion.ts";
import { type MemoryPlan, planMemory } from "../kernels/lowering/memory_plan.ts";
import { ProgramError, verifyProgram } from "../kernels/lowering/verify_program.ts";
import { simplify } from "../core/transforms/simplify.ts";

/** grad of sum(max(w) - sum(w)) over rows: a kernel `(v7, v8) = (neg(1), div(1, v5))`. */
function twoOutputProgram(): { program: KernelProgram; plan: MemoryPlan } {
  const f = grad((w: Array) => np.sum(np.max(w, -1).sub(np.sum(w, -1))));
  const program = fuse(simplify(makeJaxpr(f)(np.array([[1, 2], [4, 3]], "float32"))), {
    gemmEpilogues: true,
  });
  return { program, plan: planMemory(program) };
}

/** A small MLP's loss gradient: gemms, fused chains, reductions and several outputs. */
function mlpProgram(): { program: KernelProgram; plan: MemoryPlan } {
  const loss = (w1: Array, w2: Array, x: Array) =>
    np.mean(np.square(np.tanh(x.matmul(w1)).matmul(w2)));
  const args = [np.ones([4, 6]), np.ones([6, 3]), np.ones([5, 4])];
  const program = fuse(simplify(makeJaxpr(grad(loss, { argnums: [0, 1] }))(...args)), {
    gemmEpilogues: true,
  });
  return { program, plan: planMemory(program) };
}

Deno.test("the planner's programs pass the program check", () => {
  for (const { program, plan } of [twoOutputProgram(), mlpProgram()]) {
    verifyProgram(program, plan);
  }
});

Deno.test("an output stored over an input its kernel reads afterwards is named", () => {
  const { program, plan } = twoOutputProgram();
  const k = program.kernels.find((k) => k.outputs.length === 2 && k.inputs.length === 1)!;
  const [first] = k.outputs, [input] = k.inputs;
  plan.offsets.set(first, plan.offsets.get(input)!);
  const i = program.kernels.indexOf(k);
  assert.throws(
    () => verifyProgram(program, plan),
    (e: Error) =>
      e instanceof ProgramError && e.message.includes(`kernel k${i} (fused)`) &&
      /writes v7:f32\[2\] over v5:f32\[2\], which this kernel reads after/.test(e.message),
  );
});

Deno.test("an output stored over a value a later kernel reads is named", () => {
  const { program, plan } = mlpProgram();
  const lastUse = new Map<unknown, number>();
  program.kernels.forEach((k, i) => k.inputs.forEach((v) => lastUse.set(v, i)));
  // The first planned value read two or more kernels after it is written, and a value planned
  // between its write and that read.
  const writes = program.kernels.flatMap((k, i) => k.outputs.map((v) => ({ v, i })))
    .filter(({ v }) => plan.offsets.has(v));
  const victim = writes.find(({ v, i }) =>
    (lastUse.get(v) ?? -1) > i + 1 &&
    writes.some((w) => w.i > i && w.i < lastUse.get(v)! && w.v.aval.size >= 1)
  )!;
  const intruder = writes.find((w) => w.i > victim.i && w.i < lastUse.get(victim.v)!)!;
  plan.offsets.set(intruder.v, plan.offsets.get(victim.v)!);
  assert.throws(
    () => verifyProgram(program, plan),
    (e: Error) =>
      e instanceof ProgramError && e.message.includes(`kernel k${intruder.i} `) &&
      e.message.includes("which a later kernel reads"),
  );
});

Deno.test("a value outside the arena, read before written or written twice is named", () => {
  const outside = twoOutputProgram();
  const planned = [...outside.plan.offsets.keys()][0];
  outside.plan.offsets.set(planned, outside.plan.arenaBytes);
  assert.throws(() => verifyProgram(outside.program, outside.plan), /outside the arena/);

  const early = twoOutputProgram();
  early.program.kernels.reverse();
  assert.throws(() => verifyProgram(early.program, early.plan), /before any kernel writes it/);

  const twice = twoOutputProgram();
  twice.program.kernels.push(twice.program.kernels[0]);
  assert.throws(() => verifyProgram(twice.program, twice.plan), /already written by k0/);
});

Deno.test("config.update sets a switch, returns its previous value and refuses unknown ones", () => {
  const before = config.update("verifyPrograms", true);
  try {
    assert.equal(config.verifyPrograms, true);
    assert.equal(config.update("verifyPrograms", false), true);
    assert.equal(config.verifyPrograms, false);
  } finally {
    config.update("verifyPrograms", before);
  }
  assert.throws(() => config.update("nope" as never, true as never), /unknown switch "nope"/);
});
