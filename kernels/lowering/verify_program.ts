/**
 * A checker of compiled kernel programs and their memory plans, independent of how they were
 * built: it replays the program kernel by kernel and fails, naming the kernel, when a kernel
 * reads a value no earlier kernel wrote, a value is written by two kernels or not at all, a
 * planned value lies outside the arena, or a kernel's output overwrites storage that a later
 * kernel (or a later equation of the same kernel) still reads. It runs on every program the
 * tests compile (`config.verifyPrograms`, on in `deno task test`).
 * @module
 */
import { type Jaxpr, Var } from "../../core/jaxpr.ts";
import { shortName } from "../../core/dtype.ts";
import { type Kernel, type KernelProgram, programNames, programToString } from "./fusion.ts";
import { byteSize, elementBytes, type MemoryPlan } from "./memory_plan.ts";

/** A kernel program or memory plan that would compute something other than its jaxpr. */
export class ProgramError extends Error {
  /** Builds the message from the problem and the printed program. */
  constructor(problem: string, program: KernelProgram) {
    super(`compiled program check failed: ${problem}\n${programToString(program)}`);
    this.name = "ProgramError";
  }
}

interface Span {
  value: Var;
  offset: number;
  bytes: number;
}

const overlaps = (a: Span, b: Span) =>
  a.offset < b.offset + b.bytes && b.offset < a.offset + a.bytes;

/** Throws a `ProgramError` naming the first problem of `program` run with `plan`. */
export function verifyProgram(program: KernelProgram, plan: MemoryPlan): void {
  const { jaxpr, kernels } = program;
  const label = programNames(program);
  const name = (v: Var) => `${label(v)}:${shortName(v.aval.dtype)}[${v.aval.shape.join(",")}]`;
  const fail = (i: number, problem: string): never => {
    throw new ProgramError(`kernel k${i} (${kernels[i].kind}): ${problem}`, program);
  };
  const external = new Set<Var>([...jaxpr.constVars, ...jaxpr.inBinders]);
  const storage = (v: Var): Var => (plan.aliases.has(v) ? storage(plan.aliases.get(v)!) : v);
  const lastRead = lastReads(jaxpr, kernels, storage);
  const writer = new Map<Var, number>();
  const live: Span[] = [];
  kernels.forEach((k, i) => {
    for (const v of k.inputs) {
      if (!external.has(v) && !writer.has(v)) {
        fail(i, `reads ${name(v)} before any kernel writes it`);
      }
    }
    const written: Span[] = [];
    for (const out of k.outputs) {
      if (external.has(out) || writer.has(out)) {
        fail(
          i,
          `writes ${name(out)}, already written by ${
            external.has(out) ? "the caller" : `k${writer.get(out)}`
          }`,
        );
      }
      writer.set(out, i);
      const offset = plan.offsets.get(out);
      if (offset === undefined || k.kind === "alias") continue;
      const span = { value: out, offset, bytes: byteSize(out) };
      if (offset < 0 || offset + span.bytes > plan.arenaBytes || offset % 16 !== 0) {
        fail(
          i,
          `${name(out)} at bytes [${offset}, ${offset + span.bytes}) is outside the arena ` +
            `of ${plan.arenaBytes} bytes or unaligned`,
        );
      }
      for (const other of [...live, ...written]) {
        if (!overlaps(span, other)) continue;
        const dead = (lastRead.get(other.value) ?? -1) < i;
        const inPlace = lastRead.get(other.value) === i &&
          overwritable(k, k.inputs.filter((v) => storage(v) === other.value), out);
        if (!dead && !inPlace) {
          fail(
            i,
            `writes ${name(out)} over ${name(other.value)}, which ${
              lastRead.get(other.value) === i ? "this kernel reads after" : "a later kernel reads"
            }`,
          );
        }
      }
      written.push(span);
    }
    live.push(...written);
    live.splice(0, live.length, ...live.filter((s) => (lastRead.get(s.value) ?? -1) > i));
  });
  for (const v of jaxpr.outs) {
    if (v instanceof Var && !external.has(v) && !writer.has(v)) {
      throw new ProgramError(`the result ${name(v)} is written by no kernel`, program);
    }
  }
}

/**
 * Whether kernel `k` may store `out` over the storage of `inputs` (the values it reads there),
 * checked on the kernel's accesses in order, as the code generators make them: each equation
 * reads its inputs, then stores its output. Only a loop without reductions over inputs of
 * `out`'s size and element width reads element i for element i alone and overwrites just it;
 * no read of them may follow `out`'s store.
 */
function overwritable(k: Kernel, inputs: Var[], out: Var): boolean {
  if (inputs.length === 0 || k.kind !== "fused") return false;
  if (k.eqns.some((e) => e.prim.properties.fusibleReduction)) return false;
  const sameLayout = (v: Var) =>
    v.aval.size === out.aval.size && elementBytes(v) === elementBytes(out);
  if (!inputs.every(sameLayout)) return false;
  const events = k.eqns.flatMap((e) => [
    ...e.inputs.filter((a) => inputs.includes(a as Var)).map(() => "read"),
    ...(e.outBinders.includes(out) ? ["store"] : []),
  ]);
  return !events.slice(events.indexOf("store")).includes("read");
}

/** The last kernel reading each stored value (through reshapes); Infinity for the results. */
function lastReads(jaxpr: Jaxpr, kernels: Kernel[], storage: (v: Var) => Var): Map<Var, number> {
  const last = new Map<Var, number>();
  kernels.forEach((k, i) => k.inputs.forEach((v) => last.set(storage(v), i)));
  for (const v of jaxpr.outs) if (v instanceof Var) last.set(storage(v), Infinity);
  return last;
}
