/**
 * WGSL code generation for fused kernels: one compute shader per kernel of a jitted program.
 * The kernel is lowered once to a loop kernel of the kernel IR (lower_kernel.ts); each invocation
 * computes one point of its iteration space: it loads its inputs through the loads' strided
 * views (broadcasts never materialised), evaluates the IR's expressions in registers (rendered
 * by render_wgsl.ts, as the eager kernels are) and stores the values other kernels need. A
 * kernel whose store is a reduction instead runs one invocation per output element looping over
 * the reduced axes, or, when those are long, one workgroup per output element whose invocations
 * fold strided shares and combine them as a tree in workgroup memory.
 *
 * Shapes are static in a compiled program, so sizes, strides and arena offsets are constants in
 * the source. Values in the program's arena are read through one `array<u32>` binding (bitcast
 * to their type); every other value has a binding of its own.
 * @module
 */
import { AdjointError } from "../../../core/errors.ts";
import type { Var } from "../../../core/jaxpr.ts";
import { range, sizeOf, stridesOf } from "../../../core/shape.ts";
import type { Kernel } from "../../lowering/fusion.ts";
import type { Store } from "../../lowering/kernel_ir.ts";
import { lowerKernel } from "../../lowering/lower_kernel.ts";
import { renderCombine, renderExprs, renderIdentity } from "../render_wgsl.ts";
import { type GpuDType, gpuDType, MAX_GROUPS, SCALAR, WORKGROUP } from "../wgsl.ts";
import { withHelpers } from "../wgsl_math.ts";

/** Where a value lives: its element offset in the arena, or `undefined` for a binding of its own. */
export type Placement = (v: Var) => number | undefined;

/** A fused kernel's shader and how to launch it. */
export interface FusedShader {
  /** The WGSL module (entry point `main`). */
  source: string;
  /** Workgroup counts. */
  groups: [number, number, number];
  /** Whether binding 0 is the arena (read and written as `array<u32>`). */
  arena: boolean;
  /** Values bound after the arena, in binding order: read-only inputs, writable outputs. */
  bindings: Var[];
}

/** Reductions with at most this many terms per output use one invocation per output. */
const SERIAL_LIMIT = 128;

const dtypeOf = (v: Var): GpuDType => gpuDType("jit", v.aval.dtype);

/** Strides (in elements, one per space axis) at which a load or store walks a buffer. */
type Pattern = readonly number[];

/** The body's WGSL statements, given the offset expression of each access pattern. */
type Body = (offset: (pattern: number) => string) => string[];

/** The collapsed iteration space: axes with their sizes, whether reduced, and pattern strides. */
interface Axis {
  size: number;
  reduced: boolean;
  strides: number[];
}

/**
 * Merges adjacent axes of the same kind that every pattern walks as one (stride of the first is
 * the second's stride times its size) and drops size-1 axes, so fewer divisions locate an element.
 */
function collapse(
  space: readonly number[],
  reduced: readonly number[],
  patterns: readonly Pattern[],
): Axis[] {
  const axes: Axis[] = [];
  space.forEach((size, d) => {
    if (size === 1) return;
    const axis = { size, reduced: reduced.includes(d), strides: patterns.map((p) => p[d]) };
    const last = axes[axes.length - 1];
    if (
      last && last.reduced === axis.reduced &&
      last.strides.every((s, p) => s === axis.strides[p] * size)
    ) {
      last.size *= size;
      last.strides = axis.strides;
    } else axes.push(axis);
  });
  return axes;
}

/** WGSL lines splitting the flat index `flat` over `axes` (row-major) into `c<n>` coordinates. */
function coordinates(flat: string, axes: Axis[], names: string[]): string[] {
  if (!axes.length) return [];
  if (axes.length === 1) return [`let ${names[0]} = ${flat};`];
  const lines = [`var ${flat}_rest = ${flat};`];
  for (let j = axes.length - 1; j > 0; j--) {
    lines.push(`let ${names[j]} = ${flat}_rest % ${axes[j].size}u;`);
    lines.push(`${flat}_rest = ${flat}_rest / ${axes[j].size}u;`);
  }
  lines.push(`let ${names[0]} = ${flat}_rest;`);
  return lines;
}

/** `sum coord * stride` over the given axes, as a u32 expression. */
function linear(axes: Axis[], names: string[], pattern: number): string {
  const terms = axes.flatMap((a, j) => {
    const s = a.strides[pattern];
    return s === 0 ? [] : [s === 1 ? names[j] : `${names[j]} * ${s}u`];
  });
  return terms.length ? terms.join(" + ") : "0u";
}

/** The WGSL lvalue of element `index` of a value, and whether it is stored as u32 bits. */
type Cell = (v: Var, index: string) => { ref: string; bits: boolean };

/** Emits the compute shader of fused kernel `k`, with values placed by `place`. */
export function emitFusedWgsl(k: Kernel, place: Placement): FusedShader {
  // A float64 value cannot be bound: refused naming jit before anything is rendered.
  [...k.inputs, ...k.outputs].forEach(dtypeOf);
  const lk = lowerKernel(k);
  const space = lk.space;
  const reduction = lk.stores.find((s) => s.reduce);
  const reducedAxes = reduction
    ? range(space.length).filter((d) => reduction.strides[d] === 0)
    : [];

  const patterns: Pattern[] = [];
  const patternOf = (p: Pattern): number => {
    const key = p.join(",");
    const i = patterns.findIndex((q) => q.join(",") === key);
    return i >= 0 ? i : patterns.push(p) - 1;
  };
  const direct = patternOf(stridesOf(space));
  const loadPatterns = lk.loads.map((l) => patternOf(l.strides));
  // A reduction's store is not a pattern: it writes element `k` of the kept axes, once.
  const storePatterns = lk.stores.map((s) => (s.reduce ? -1 : patternOf(s.strides)));

  const bindings: Var[] = [];
  const written = new Set<Var>();
  let usesArena = false;
  const cell: Cell = (v, index) => {
    const at = place(v);
    if (at !== undefined) {
      usesArena = true;
      return { ref: `arena[${at}u + ${index}]`, bits: dtypeOf(v) !== "bool" };
    }
    const b = bindings.includes(v) ? bindings.indexOf(v) : bindings.push(v) - 1;
    return { ref: `b${b}[${index}]`, bits: false };
  };
  const write = (v: Var, index: string, value: string): string => {
    written.add(v);
    const { ref, bits } = cell(v, index);
    return `${ref} = ${bits ? `bitcast<u32>(${value})` : value};`;
  };

  const body: Body = (offset) => {
    const code = renderExprs(lk.stores.map((s) => s.value), (e) => {
      const { input, offset: start } = lk.loads[e.load];
      const v = k.inputs[input], index = offset(loadPatterns[e.load]);
      const { ref, bits } = cell(v, start ? `${index} + ${start}u` : index);
      return bits ? `bitcast<${SCALAR[dtypeOf(v)]}>(${ref})` : ref;
    });
    const stores = lk.stores.map((s, j) =>
      s.reduce
        ? `acc = ${renderCombine(s.reduce, s.value.dtype, "acc", code.values[j])};`
        : write(k.outputs[s.output], offset(storePatterns[j]), code.values[j])
    );
    return [...code.lines, ...stores];
  };

  const axes = collapse(space, reducedAxes, patterns);
  const shader = reduction
    ? reductionShader(
      reduction,
      dtypeOf(k.outputs[reduction.output]),
      axes,
      patterns.length,
      (index, value) => write(k.outputs[reduction.output], index, value),
    )
    : elementwiseShader(sizeOf(space), axes, direct);
  const lines = shader.lines(body);
  const decls = [
    usesArena ? "@group(0) @binding(0) var<storage, read_write> arena: array<u32>;" : "",
    ...bindings.map((v, b) => {
      const access = written.has(v) ? "read_write" : "read";
      const T = SCALAR[dtypeOf(v)];
      return `@group(0) @binding(${
        b + (usesArena ? 1 : 0)
      }) var<storage, ${access}> b${b}: array<${T}>;`;
    }),
  ].filter((l) => l);
  return {
    source: withHelpers([...decls, ...shader.globals, ...lines].join("\n") + "\n"),
    groups: shader.groups,
    arena: usesArena,
    bindings,
  };
}

/** The parts of a shader that depend on how the iteration space is walked. */
interface ShaderFrame {
  groups: [number, number, number];
  globals: string[];
  lines(body: Body): string[];
}

/** Workgroup counts for `n` invocations in workgroups of `per`, folded into 2-d past the limit. */
function dispatch(n: number, per: number): [number, number, number] {
  const total = Math.ceil(n / per);
  const x = Math.min(total, MAX_GROUPS);
  const y = Math.ceil(total / MAX_GROUPS);
  if (y > MAX_GROUPS) {
    throw new AdjointError("jit", `a fused kernel over ${n} elements exceeds the largest dispatch`);
  }
  return [x, y, 1];
}

const indent = (lines: string[], depth: number) => lines.map((l) => "  ".repeat(depth) + l);

/** One invocation per element of the space; `s` is its flat index. */
function elementwiseShader(n: number, axes: Axis[], direct: number): ShaderFrame {
  const names = axes.map((_, j) => `c${j}`);
  return {
    groups: dispatch(n, WORKGROUP),
    globals: [],
    lines: (body) => {
      let needCoords = false;
      const offset = (p: number) => {
        if (p === direct) return "s";
        needCoords = true;
        return linear(axes, names, p);
      };
      const stmts = body(offset);
      return [
        `@compute @workgroup_size(${WORKGROUP})`,
        "fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {",
        `  let s = gid.x + gid.y * nwg.x * ${WORKGROUP}u;`,
        `  if (s >= ${n}u) { return; }`,
        ...indent(needCoords ? coordinates("s", axes, names) : [], 1),
        ...indent(stmts, 1),
        "}",
      ];
    },
  };
}

/**
 * A kernel ending in reduction store `store` (of `dtype`): output element `k` (over the kept
 * axes) folds the space elements of the reduced axes, `r` indexing them; `save(index, value)`
 * writes its result.
 */
function reductionShader(
  store: Store,
  dtype: GpuDType,
  axes: Axis[],
  patternCount: number,
  save: (index: string, value: string) => string,
): ShaderFrame {
  const T = SCALAR[dtype];
  const op = store.reduce!;
  const kept = axes.filter((a) => !a.reduced), reduced = axes.filter((a) => a.reduced);
  const K = sizeOf(kept.map((a) => a.size)), R = sizeOf(reduced.map((a) => a.size));
  const keptNames = kept.map((_, j) => `k${j}`), reducedNames = reduced.map((_, j) => `q${j}`);
  const bases = Array.from(
    { length: patternCount },
    (_, p) => `let base${p} = ${linear(kept, keptNames, p)};`,
  );
  const loop = (body: Body) => {
    const stmts = body((p) => `base${p} + ${linear(reduced, reducedNames, p)}`);
    return [...coordinates("r", reduced, reducedNames), ...stmts];
  };
  const init = `var acc: ${T} = ${renderIdentity(op, dtype)};`;
  if (R <= SERIAL_LIMIT) {
    return {
      groups: dispatch(K, WORKGROUP),
      globals: [],
      lines: (body) => [
        `@compute @workgroup_size(${WORKGROUP})`,
        "fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {",
        `  let k = gid.x + gid.y * nwg.x * ${WORKGROUP}u;`,
        `  if (k >= ${K}u) { return; }`,
        ...indent([...coordinates("k", kept, keptNames), ...bases, init], 1),
        `  for (var r = 0u; r < ${R}u; r++) {`,
        ...indent(loop(body), 2),
        "  }",
        `  ${save("k", "acc")}`,
        "}",
      ],
    };
  }
  return {
    groups: dispatch(K, 1),
    globals: [`var<workgroup> part: array<${T}, ${WORKGROUP}>;`],
    lines: (body) => [
      `@compute @workgroup_size(${WORKGROUP})`,
      "fn main(",
      "  @builtin(workgroup_id) wid: vec3u,",
      "  @builtin(local_invocation_id) lid: vec3u,",
      "  @builtin(num_workgroups) nwg: vec3u,",
      ") {",
      "  let k = wid.x + wid.y * nwg.x;",
      `  let live = k < ${K}u;`,
      `  ${init}`,
      "  if (live) {",
      ...indent([...coordinates("k", kept, keptNames), ...bases], 2),
      `    for (var r = lid.x; r < ${R}u; r += ${WORKGROUP}u) {`,
      ...indent(loop(body), 3),
      "    }",
      "  }",
      "  part[lid.x] = acc;",
      "  workgroupBarrier();",
      `  for (var half = ${WORKGROUP / 2}u; half > 0u; half = half >> 1u) {`,
      `    if (lid.x < half) { part[lid.x] = ${
        renderCombine(op, dtype, "part[lid.x]", "part[lid.x + half]")
      }; }`,
      "    workgroupBarrier();",
      "  }",
      "  if (lid.x == 0u && live) {",
      "    acc = part[0];",
      `    ${save("k", "acc")}`,
      "  }",
      "}",
    ],
  };
}
