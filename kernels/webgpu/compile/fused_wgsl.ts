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
 * to their type); every other value has a binding of its own. The renderer of a point, the
 * buffers and the elementwise frame also render a whole fused scan's loop (loop_wgsl.ts).
 * @module
 */
import { AdjointError } from "../../../core/errors.ts";
import type { Var } from "../../../core/jaxpr.ts";
import { range, sizeOf, stridesOf } from "../../../core/shape.ts";
import type { Kernel } from "../../lowering/fusion.ts";
import { type Load, type LoopKernel, paddedAxes, type Store } from "../../lowering/kernel_ir.ts";
import { lowerKernel } from "../../lowering/lower_kernel.ts";
import { renderCombine, renderExprs, renderIdentity } from "../render_wgsl.ts";
import { type GpuDType, gpuDType, literal, MAX_GROUPS, SCALAR, WORKGROUP } from "../wgsl.ts";
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
export type Pattern = readonly number[];

/** The WGSL offset, at the invocation's point, of each access pattern (by index). */
export type Offset = (pattern: number) => string;

/** The body's WGSL statements, given the offset expression of each access pattern. */
export type Body = (offset: Offset) => string[];

/** The distinct access patterns of a loop kernel and which one each load and store follows. */
export interface AccessPatterns {
  /** The distinct patterns. */
  patterns: Pattern[];
  /** The pattern of the space itself (row-major strides). */
  direct: number;
  /** Each load's pattern. */
  loads: number[];
  /** Each store's pattern; -1 for a reduction's (it writes element `k` of the kept axes, once). */
  stores: number[];
  /**
   * The pattern of the coordinate along each axis a padded load tests (stride 1 along it, 0
   * elsewhere: its axis is never merged with another).
   */
  coordinates: Map<number, number>;
}

/**
 * The element a load reads, or a store writes, at pattern offset `index`: that offset past the
 * access's own.
 */
export function accessIndex(access: Load | Store, index: string): string {
  // A negative offset (a pad's) as its two's complement, which u32 arithmetic wraps back.
  return access.offset ? `${index} + ${access.offset >>> 0}u` : index;
}

/** The access patterns of `lk`. */
export function accessPatterns(lk: LoopKernel): AccessPatterns {
  const patterns: Pattern[] = [];
  const patternOf = (p: Pattern): number => {
    const key = p.join(",");
    const i = patterns.findIndex((q) => q.join(",") === key);
    return i >= 0 ? i : patterns.push(p) - 1;
  };
  const direct = patternOf(stridesOf(lk.space));
  const loads = lk.loads.map((l) => patternOf(l.strides));
  const stores = lk.stores.map((s) => (s.reduce ? -1 : patternOf(s.strides)));
  const tested = new Set(lk.loads.flatMap((l) => paddedAxes(lk.space, l.padding)));
  const coordinates = new Map(
    [...tested].map((d) => [d, patternOf(lk.space.map((_, i) => (i === d ? 1 : 0)))]),
  );
  return { patterns, direct, loads, stores, coordinates };
}

/**
 * A WGSL expression of load `l` of `lk` given the element it reads (`read`, of an index), its
 * pattern offset `index` and the offsets of the coordinates: a padded load tests the
 * coordinates, reads the padding value outside its bounds, and there reads element 0 instead
 * of one past its input.
 */
function loadExpr(
  lk: LoopKernel,
  l: Load,
  index: string,
  coordinate: (axis: number) => string,
  read: (index: string) => string,
): string {
  const at = accessIndex(l, index);
  const tests = paddedAxes(lk.space, l.padding).map((d) => {
    const [from, to] = l.padding!.bounds[d];
    const c = coordinate(d);
    return from === 0 ? `${c} < ${to}u` : `${c} - ${from}u < ${to - from}u`;
  });
  if (!tests.length) return read(at);
  const inside = tests.map((t) => `(${t})`).join(" && ");
  const dtype = lk.inputs[l.input];
  const value = literal(l.padding!.value, gpuDType("pad", dtype));
  return `select(${value}, ${read(`select(0u, ${at}, ${inside})`)}, ${inside})`;
}

/**
 * The storage buffers a shader reaches, keyed by the values they hold: values placed in an arena
 * (binding 0, read and written as `array<u32>`, bitcast to their type) and one binding for each
 * other value, numbered in order of first use.
 */
export class ShaderBuffers<K> {
  /** Values bound after the arena, in binding order. */
  readonly bindings: K[] = [];
  /** Whether the shader uses the arena. */
  arena = false;
  #written = new Set<K>();

  /** Buffers of values of type `dtype(key)`, placed at an arena element by `place` or bound. */
  constructor(
    readonly place: (key: K) => number | undefined,
    readonly dtype: (key: K) => GpuDType,
  ) {}

  /** A WGSL expression reading element `index` of `key`, in its type. */
  read(key: K, index: string): string {
    const { ref, bits } = this.#cell(key, index);
    return bits ? `bitcast<${SCALAR[this.dtype(key)]}>(${ref})` : ref;
  }

  /** A WGSL statement writing `value` (of `key`'s type) into element `index` of `key`. */
  write(key: K, index: string, value: string): string {
    this.#written.add(key);
    const { ref, bits } = this.#cell(key, index);
    return `${ref} = ${bits ? `bitcast<u32>(${value})` : value};`;
  }

  /** The declarations of the buffers used so far (written ones `read_write`). */
  declarations(): string[] {
    const arena = this.arena
      ? ["@group(0) @binding(0) var<storage, read_write> arena: array<u32>;"]
      : [];
    const offset = this.arena ? 1 : 0;
    return [
      ...arena,
      ...this.bindings.map((k, b) => {
        const access = this.#written.has(k) ? "read_write" : "read";
        const T = SCALAR[this.dtype(k)];
        return `@group(0) @binding(${b + offset}) var<storage, ${access}> b${b}: array<${T}>;`;
      }),
    ];
  }

  /** The WGSL lvalue of element `index` of `key`, and whether it is stored as u32 bits. */
  #cell(key: K, index: string): { ref: string; bits: boolean } {
    const at = this.place(key);
    if (at !== undefined) {
      this.arena = true;
      return { ref: `arena[${at}u + ${index}]`, bits: this.dtype(key) !== "bool" };
    }
    const b = this.bindings.includes(key)
      ? this.bindings.indexOf(key)
      : this.bindings.push(key) - 1;
    return { ref: `b${b}[${index}]`, bits: false };
  }
}

/**
 * The WGSL statements of one point of `lk`: a `let` per expression node, its loads rendered by
 * `load` (given the load's index), then each store's statements by `store` (given the store's
 * index and the WGSL of its value).
 */
export function pointStatements(
  lk: LoopKernel,
  load: (load: number) => string,
  store: (store: number, value: string) => string[],
): string[] {
  const code = renderExprs(lk.stores.map((s) => s.value), (e) => load(e.load));
  return [...code.lines, ...lk.stores.flatMap((_, j) => store(j, code.values[j]))];
}

/** The collapsed iteration space: axes with their sizes, whether reduced, and pattern strides. */
export interface Axis {
  /** Elements along the axis. */
  size: number;
  /** Whether a reduction folds it. */
  reduced: boolean;
  /** Each pattern's stride along it. */
  strides: number[];
}

/**
 * Merges adjacent axes of the same kind that every pattern walks as one (stride of the first is
 * the second's stride times its size) and drops size-1 axes, so fewer divisions locate an element.
 */
export function collapse(
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

/**
 * `sum coord * stride` over the given axes, as a u32 expression: a negative stride (a reversed
 * axis) as its two's complement, which u32 arithmetic wraps back into place once the load's
 * offset is added.
 */
function linear(axes: Axis[], names: string[], pattern: number): string {
  const terms = axes.flatMap((a, j) => {
    const s = a.strides[pattern];
    return s === 0 ? [] : [s === 1 ? names[j] : `${names[j]} * ${s >>> 0}u`];
  });
  return terms.length ? terms.join(" + ") : "0u";
}

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
  const access = accessPatterns(lk);
  const buffers = new ShaderBuffers<Var>(place, dtypeOf);
  const write = (v: Var, index: string, value: string) => buffers.write(v, index, value);

  const body: Body = (offset) =>
    pointStatements(
      lk,
      (l) =>
        loadExpr(
          lk,
          lk.loads[l],
          offset(access.loads[l]),
          (d) => offset(access.coordinates.get(d)!),
          (index) => buffers.read(k.inputs[lk.loads[l].input], index),
        ),
      (j, value) => {
        const s = lk.stores[j];
        return [
          s.reduce
            ? `acc = ${renderCombine(s.reduce, s.value.dtype, "acc", value)};`
            : write(k.outputs[s.output], accessIndex(s, offset(access.stores[j])), value),
        ];
      },
    );

  const axes = collapse(space, reducedAxes, access.patterns);
  const shader = reduction
    ? reductionShader(
      reduction,
      dtypeOf(k.outputs[reduction.output]),
      axes,
      access.patterns.length,
      (index, value) => write(k.outputs[reduction.output], index, value),
    )
    : elementwiseShader(sizeOf(space), axes, access.direct);
  return {
    source: shaderSource(buffers, shader, body),
    groups: shader.groups,
    arena: buffers.arena,
    bindings: buffers.bindings,
  };
}

/** The WGSL module of a shader: its buffers' declarations, the frame's globals, its entry point. */
export function shaderSource<K>(buffers: ShaderBuffers<K>, frame: ShaderFrame, body: Body): string {
  const lines = frame.lines(body);
  return withHelpers([...buffers.declarations(), ...frame.globals, ...lines].join("\n") + "\n");
}

/** The parts of a shader that depend on how the iteration space is walked. */
export interface ShaderFrame {
  /** Workgroup counts. */
  groups: [number, number, number];
  /** Module-scope declarations (workgroup memory). */
  globals: string[];
  /** The entry point around the body. */
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

/** `lines` indented by `depth` levels. */
export const indent = (lines: string[], depth: number): string[] =>
  lines.map((l) => "  ".repeat(depth) + l);

/** One invocation per element of the space; `s` is its flat index. */
export function elementwiseShader(n: number, axes: Axis[], direct: number): ShaderFrame {
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
