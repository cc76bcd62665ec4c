/**
 * WGSL code generation for a whole `scan` fused into one kernel (kernels/lowering/loop_fusion.ts):
 * one compute shader whose every invocation owns one element of the body's space. It loads its
 * carries into registers once, runs every step of the body on them (the body's loop kernel
 * rendered as a fused kernel's point, by loop_shader.ts), reading `xs[s]` and writing `ys[s]` at
 * the step's offset (`s` counting down for a reverse scan), and stores the final carries. Each
 * element computes the expressions the per-step kernels compute, in the same order, so the
 * results are those of the per-step loop.
 *
 * The shader's buffers are its memory slots: the body's reads (consts and stacked `xs`), then
 * the stacked `ys`, then one per carry, read at the start and written at the end in place.
 * @module
 */
import { range, sizeOf } from "../../../core/shape.ts";
import type { FusedScan } from "../../lowering/loop_fusion.ts";
import { type GpuDType, gpuDType, SCALAR } from "../wgsl.ts";
import {
  accessIndex,
  accessPatterns,
  type Body,
  collapse,
  CONSTANTS,
  elementwiseShader,
  indent,
  pointStatements,
  ShaderBuffers,
  shaderSource,
} from "../loop_shader.ts";

/** A fused scan's shader and how to launch it. */
export interface LoopShader {
  /** The WGSL module (entry point `main`). */
  source: string;
  /** Workgroup counts. */
  groups: [number, number, number];
  /** Whether binding 0 is an arena of spilled slots (read and written as `array<u32>`). */
  arena: boolean;
  /** The memory slots bound after the arena, in binding order (see `loopSlots`). */
  bindings: number[];
}

/** What each memory slot of a fused scan's shader holds, by slot number. */
export interface LoopSlots {
  /** The dtype of each slot's elements. */
  dtypes: GpuDType[];
  /** The slot of each of the body's reads. */
  reads: number[];
  /** The slot of each stacked `y`. */
  ys: number[];
  /** The slot of each carry. */
  carries: number[];
}

/** The memory slots of `loop`: its reads, then its `ys`, then its carries. */
export function loopSlots(loop: FusedScan): LoopSlots {
  const k = loop.body;
  const reads = range(loop.reads.length);
  const ys = range(loop.ys).map((o) => reads.length + o);
  const carries = loop.carries.map((_, j) => reads.length + ys.length + j);
  const dtypes = [
    ...reads.map((i) => k.inputs[i]),
    ...range(loop.ys).map((o) => k.outputs[o]),
    ...loop.carries.map((c) => k.inputs[c.input]),
  ].map((d) => gpuDType("scan", d));
  return { dtypes, reads, ys, carries };
}

/** The register holding carry `j` across steps. */
const carry = (j: number) => `carry${j}`;

/**
 * Emits the shader of `loop` running `steps` steps (`steps > 0`; in reverse order when
 * `reverse`), with slots placed at an arena element by `place` or bound.
 */
export function emitLoopWgsl(
  loop: FusedScan,
  steps: number,
  reverse: boolean,
  place: (slot: number) => number | undefined,
): LoopShader {
  const k = loop.body, size = sizeOf(k.space);
  const slots = loopSlots(loop);
  const access = accessPatterns(k);
  const buffers = new ShaderBuffers<number>(place, (slot) => slots.dtypes[slot]);
  const held = new Map(loop.carries.map((c, j) => [c.input, carry(j)]));
  const nextOf = (o: number) =>
    range(loop.carries.length).filter((j) => loop.carries[j].output === o);

  /** One step: `at` is the element offset of the step's slice in the stacked `xs` and `ys`. */
  const step: Body = (offset) =>
    pointStatements(
      k,
      (l) => {
        const i = k.loads[l].input;
        if (held.has(i)) return held.get(i)!;
        const at = accessIndex(k.loads[l], offset(access.loads[l]), CONSTANTS);
        return buffers.read(slots.reads[i], loop.reads[i].kind === "xs" ? `at + ${at}` : at);
      },
      (j, value) => {
        const o = k.stores[j].output;
        const y = o < loop.ys
          ? [buffers.write(slots.ys[o], `at + ${offset(access.stores[j])}`, value)]
          : [];
        return [...y, ...nextOf(o).map((c) => `${carry(c)} = ${value};`)];
      },
    );

  const body: Body = (offset) => {
    const own = offset(access.direct);
    return [
      ...slots.carries.map((slot, j) =>
        `var ${carry(j)}: ${SCALAR[slots.dtypes[slot]]} = ${buffers.read(slot, own)};`
      ),
      `for (var t = 0u; t < ${steps}u; t++) {`,
      `  let at = ${reverse ? `(${steps - 1}u - t)` : "t"} * ${size}u;`,
      ...indent(step(offset), 1),
      "}",
      ...slots.carries.map((slot, j) => buffers.write(slot, own, carry(j))),
    ];
  };

  const frame = elementwiseShader(
    size,
    collapse(k.space, [], access.patterns),
    access.direct,
    CONSTANTS,
  );
  return {
    source: shaderSource(buffers, frame, body),
    groups: frame.groups,
    arena: buffers.arena,
    bindings: buffers.bindings,
  };
}
