/**
 * AssemblyScript code generation for a whole `scan` fused into one kernel (see
 * kernels/lowering/loop_fusion.ts): the body's loop kernel rendered by the fused codegen and
 * vectorised by the same rules, inside the loops over its space: each element (or four, or a
 * wide run of fours) loads its carries into registers, runs every step of the body on them
 * (reading `xs[s]` and writing `ys[s]` at the step's offset), and stores the final carries. Each
 * element computes what the per-step kernel computes, in the same order, so the bits agree.
 * @module
 */
import type { DType } from "../../core/dtype.ts";
import { range, sizeOf, stridesOf } from "../../core/shape.ts";
import type { FusedScan } from "../lowering/loop_fusion.ts";
import { planLoopVector } from "../lowering/vectorize.ts";
import { loopNest } from "./loop_nest.ts";
import { offsetExpr, type Places, registers, scalarBody } from "./view_addresses.ts";
import { vectorBody, type VectorLoop, WIDE } from "./vector_loops.ts";
import {
  ASSEMBLYSCRIPT_VECTOR,
  partNames,
  REG,
  scalarLoad,
  scalarStore,
  SHIFT,
  vectorLoad,
  vectorStore,
} from "./render_assemblyscript.ts";

/**
 * Where the body finds its arrays in step `s`: `xs` inputs and the `ys` at the step's offset,
 * the other inputs at their base, the carries in the registers `carry(j)`.
 */
function stepPlaces(loop: FusedScan, carry: (j: number) => string): Places {
  const k = loop.body, size = sizeOf(k.space);
  const atStep = (base: string, d: DType) => `(${base} + ((<usize>s * ${size}) << ${SHIFT[d]}))`;
  const held = new Map(loop.carries.map((c, j) => [c.input, carry(j)]));
  const next = (o: number) => loop.carries.flatMap((c, j) => (c.output === o ? [carry(j)] : []));
  return {
    input: (i) => {
      if (held.has(i)) return { register: held.get(i)! };
      const stepped = loop.reads[i].kind === "xs";
      return { base: stepped ? atStep(`in${i}`, k.inputs[i]) : `in${i}` };
    },
    output: (o) => ({
      base: o < loop.ys ? atStep(`out${o}`, k.outputs[o]) : undefined,
      registers: next(o),
    }),
  };
}

/**
 * Emits the fused scan as an exported function named `name` taking the addresses of the body's
 * inputs from memory (consts, stacked `xs`), of the stacked `ys`, of the initial and of the final
 * carries, the number of steps, then the range `[lo, hi)` of the outermost axis to run (so that
 * threads can split it, as a fused kernel's).
 */
export function emitLoopKernel(loop: FusedScan, reverse: boolean, name: string): string {
  const k = loop.body, space = k.space;
  const regs = registers(k);
  const direct = stridesOf(space);
  const last = `i${space.length - 1}`;
  const carryType = (j: number) => k.inputs[loop.carries[j].input];
  /**
   * The steps of `copies` runs of one element (`vector`: four; several: consecutive fours, whose
   * independent chains the processor overlaps), carries in registers; `body(u)` is run `u`'s body.
   */
  const steps = (body: (u: number) => string[], vector: boolean, copies = 1): string[] => {
    const load: string[] = [], store: string[] = [], step: string[] = [];
    for (let u = 0; u < copies; u++) {
      loop.carries.forEach((_, j) => {
        const d = carryType(j), c = carryName(j, u, copies);
        const at = offsetExpr(direct, SHIFT[d]) + (u ? ` + ${(4 * u) << SHIFT[d]}` : "");
        const [src, dst] = [`cin${j} + ${at}`, `cout${j} + ${at}`];
        if (vector) {
          const { lanes } = vectorLoad(d, "contiguous", src, "");
          load.push(...partNames(c, d).map((n, p) => `let ${n} = ${lanes[p]};`));
          store.push(vectorStore(d, dst, partNames(c, d)));
        } else {
          load.push(`let ${c}: ${REG[d]} = ${scalarLoad(d, src)};`);
          store.push(scalarStore(d, dst, c));
        }
      });
      const lines = body(u), at = `  const ${last} = base + ${4 * u};`;
      step.push(...(copies === 1 ? lines : ["{", at, ...lines.map((l) => `  ${l}`), "}"]));
    }
    return [
      ...(copies === 1 ? [] : [`const base = ${last};`]),
      ...load,
      `for (let t = 0; t < steps; t++) {`,
      `  const s = ${reverse ? "steps - 1 - t" : "t"};`,
      ...step.map((l) => `  ${l}`),
      `}`,
      ...store,
    ];
  };
  const places = (u: number, copies: number) => stepPlaces(loop, (j) => carryName(j, u, copies));
  const scalar = steps(() => scalarBody(k, regs, places(0, 1)), false);
  const lanes = planLoopVector(k, ASSEMBLYSCRIPT_VECTOR);
  const fours = (u: number, copies: number) =>
    vectorBody(k, regs, lanes!, { places: places(u, copies) }).body;
  const vector: VectorLoop | null = lanes && {
    kind: "lanes",
    body: steps(() => fours(0, 1), true),
    before: [],
    after: [],
    wide: { lanes: 4 * WIDE, body: steps((u) => fours(u, WIDE), true, WIDE) },
  };
  const params = [
    ...loop.reads.map((_, i) => `in${i}: usize`),
    ...range(loop.ys).map((o) => `out${o}: usize`),
    ...loop.carries.map((_, j) => `cin${j}: usize`),
    ...loop.carries.map((_, j) => `cout${j}: usize`),
    "steps: i32",
    "lo: i32",
    "hi: i32",
  ];
  return [
    `export function ${name}(${params.join(", ")}): void {`,
    ...loopNest(space, scalar, vector),
    `}`,
  ].join("\n");
}

/** The register of carry `j` in run `u` of `copies`. */
const carryName = (j: number, u: number, copies: number) => (copies === 1 ? `c${j}` : `c${j}_${u}`);
