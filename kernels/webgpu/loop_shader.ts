/**
 * The WGSL compute shader of a loop kernel of the kernel IR, for jitted and eager kernels alike.
 * Each invocation computes one point of the iteration space: it loads its inputs through the
 * loads' strided (and padded) views, evaluates the IR's expressions in registers (rendered by
 * render_wgsl.ts) and stores the results. A kernel whose store is a reduction instead runs one
 * invocation per output element looping over the reduced axes, or, when those are long, one
 * workgroup per output element whose invocations fold strided shares and combine them as a
 * tree in workgroup memory.
 *
 * The numbers of the kernel (sizes, strides, offsets, pad bounds and values) are written by a
 * `Numbers`: constants in the source for jitted kernels, whose shapes are static, or reads of
 * the run-time parameter buffer for eager ones, so that one compiled pipeline serves every shape
 * of the same structure.
 * @module
 */
import { AdjointError } from "../../core/errors.ts";
import { range, sizeOf, stridesOf } from "../../core/shape.ts";
import {
  type Load,
  type LoopKernel,
  paddedAxes,
  type Store,
  topologicalOrder,
} from "../lowering/kernel_ir.ts";
import { renderCombine, renderExprs, renderIdentity } from "./render_wgsl.ts";
import {
  type GpuDType,
  gpuDType,
  type KernelParams,
  literal,
  MAX_GROUPS,
  SCALAR,
  WORKGROUP,
} from "./wgsl.ts";
import { withHelpers } from "./wgsl_math.ts";

/** How a shader writes the numbers of its loop kernel. */
export interface Numbers {
  /** A u32 expression of a size, count or bound. */
  size(n: number): string;
  /** A u32 expression of a stride or offset (a negative one as its two's complement). */
  step(n: number): string;
  /** An expression of the value `v` of `dtype` (a pad's). */
  value(v: number, dtype: GpuDType): string;
  /** Whether the numbers are constants, which the shader may fold (offsets and bounds 0). */
  readonly folded: boolean;
}

/** The numbers as constants in the source (jitted kernels). */
export const CONSTANTS: Numbers = {
  size: (n) => `${n}u`,
  step: (n) => `${n >>> 0}u`,
  value: literal,
  folded: true,
};

/** The numbers as reads of the run-time parameters `p` (eager kernels). */
export function parameters(p: KernelParams): Numbers {
  return {
    size: (n) => p.uint(n),
    step: (n) => p.uint(n),
    value: (v, dtype) => p.scalar(v, dtype),
    folded: false,
  };
}

/** Reductions with at most this many terms per output use one invocation per output. */
const SERIAL_LIMIT = 128;

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
   * The pattern of the coordinate along each axis a padded load tests or an index node reads
   * (stride 1 along it, 0 elsewhere: its axis is never merged with another).
   */
  coordinates: Map<number, number>;
}

/**
 * The element a load reads, or a store writes, at pattern offset `index`: that offset past the
 * access's own.
 */
export function accessIndex(access: Load | Store, index: string, numbers: Numbers): string {
  // A negative offset (a pad's) as its two's complement, which u32 arithmetic wraps back.
  if (numbers.folded && !access.offset) return index;
  return `${index} + ${numbers.step(access.offset ?? 0)}`;
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
  const indexed = topologicalOrder(lk.stores.map((s) => s.value)).flatMap((e) =>
    e.kind === "index" ? [e.axis] : []
  );
  const tested = new Set([...lk.loads.flatMap((l) => paddedAxes(lk.space, l.padding)), ...indexed]);
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
  numbers: Numbers,
): string {
  const at = accessIndex(l, index, numbers);
  const tests = paddedAxes(lk.space, l.padding).map((d) => {
    const [from, to] = l.padding!.bounds[d];
    const c = coordinate(d);
    return from === 0 && numbers.folded
      ? `${c} < ${numbers.size(to)}`
      : `${c} - ${numbers.size(from)} < ${numbers.size(to - from)}`;
  });
  if (!tests.length) return read(at);
  const inside = tests.map((t) => `(${t})`).join(" && ");
  const dtype = lk.inputs[l.input];
  const value = numbers.value(l.padding!.value, gpuDType("pad", dtype));
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
 * `load` (given the load's index) and its index nodes by `index` (given the axis), then each
 * store's statements by `store` (given the store's index and the WGSL of its value).
 */
export function pointStatements(
  lk: LoopKernel,
  load: (load: number) => string,
  store: (store: number, value: string) => string[],
  index?: (axis: number) => string,
): string[] {
  const code = renderExprs(lk.stores.map((s) => s.value), (e) => load(e.load), index);
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
function coordinates(flat: string, axes: Axis[], names: string[], numbers: Numbers): string[] {
  if (!axes.length) return [];
  if (axes.length === 1) return [`let ${names[0]} = ${flat};`];
  const lines = [`var ${flat}_rest = ${flat};`];
  for (let j = axes.length - 1; j > 0; j--) {
    const size = numbers.size(axes[j].size);
    lines.push(`let ${names[j]} = ${flat}_rest % ${size};`);
    lines.push(`${flat}_rest = ${flat}_rest / ${size};`);
  }
  lines.push(`let ${names[0]} = ${flat}_rest;`);
  return lines;
}

/**
 * `sum coord * stride` over the given axes, as a u32 expression: a negative stride (a reversed
 * axis) as its two's complement, which u32 arithmetic wraps back into place once the load's
 * offset is added. Strides 0 and 1 (broadcasts, rows, the coordinates a pad tests) are folded
 * even where numbers are parameters: they are the view's structure more than its shape.
 */
function linear(axes: Axis[], names: string[], pattern: number, numbers: Numbers): string {
  const terms = axes.flatMap((a, j) => {
    const s = a.strides[pattern];
    return s === 0 ? [] : [s === 1 ? names[j] : `${names[j]} * ${numbers.step(s)}`];
  });
  return terms.length ? terms.join(" + ") : "0u";
}

/** A loop kernel's shader: its WGSL module (entry point `main`) and its workgroup counts. */
export interface LoopShader {
  /** The WGSL module. */
  source: string;
  /** Workgroup counts. */
  groups: [number, number, number];
}

/**
 * The shader of loop kernel `lk`, its input `i` and output `j` the buffers `input(i)` and
 * `output(j)` of `buffers`, its numbers written by `numbers`.
 */
export function loopShader<K>(
  lk: LoopKernel,
  buffers: ShaderBuffers<K>,
  input: (i: number) => K,
  output: (j: number) => K,
  numbers: Numbers,
): LoopShader {
  const space = lk.space;
  const reduction = lk.stores.find((s) => s.reduce);
  const reducedAxes = reduction
    ? range(space.length).filter((d) => reduction.strides[d] === 0)
    : [];
  const access = accessPatterns(lk);

  const body: Body = (offset) =>
    pointStatements(
      lk,
      (l) =>
        loadExpr(
          lk,
          lk.loads[l],
          offset(access.loads[l]),
          (d) => offset(access.coordinates.get(d)!),
          (index) => buffers.read(input(lk.loads[l].input), index),
          numbers,
        ),
      (j, value) => {
        const s = lk.stores[j];
        return [
          s.reduce
            ? `acc = ${renderCombine(s.reduce, s.value.dtype, "acc", value)};`
            : buffers.write(
              output(s.output),
              accessIndex(s, offset(access.stores[j]), numbers),
              value,
            ),
        ];
      },
      (axis) => `i32(${offset(access.coordinates.get(axis)!)})`,
    );

  const axes = collapse(space, reducedAxes, access.patterns);
  const frame = reduction
    ? reductionShader(
      reduction,
      buffers.dtype(output(reduction.output)),
      axes,
      access.patterns.length,
      (index, value) => buffers.write(output(reduction.output), index, value),
      numbers,
    )
    : elementwiseShader(sizeOf(space), axes, access.direct, numbers);
  return { source: shaderSource(buffers, frame, body), groups: frame.groups };
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
    throw new AdjointError("webgpu", `a kernel over ${n} elements exceeds the largest dispatch`);
  }
  return [x, y, 1];
}

/** `offset`, computed once per pattern (so each of its parameters is recorded once). */
function memo(offset: Offset): Offset {
  const known = new Map<number, string>();
  return (p) => {
    if (!known.has(p)) known.set(p, offset(p));
    return known.get(p)!;
  };
}

/** `lines` indented by `depth` levels. */
export const indent = (lines: string[], depth: number): string[] =>
  lines.map((l) => "  ".repeat(depth) + l);

/** One invocation per element of the space; `s` is its flat index. */
export function elementwiseShader(
  n: number,
  axes: Axis[],
  direct: number,
  numbers: Numbers,
): ShaderFrame {
  const names = axes.map((_, j) => `c${j}`);
  return {
    groups: dispatch(n, WORKGROUP),
    globals: [],
    lines: (body) => {
      let needCoords = false;
      const offset = memo((p: number) => {
        if (p === direct) return "s";
        needCoords = true;
        return linear(axes, names, p, numbers);
      });
      const stmts = body(offset);
      const count = numbers.size(n);
      return [
        `@compute @workgroup_size(${WORKGROUP})`,
        "fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {",
        `  let s = gid.x + gid.y * nwg.x * ${WORKGROUP}u;`,
        `  if (s >= ${count}) { return; }`,
        ...indent(needCoords ? coordinates("s", axes, names, numbers) : [], 1),
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
  numbers: Numbers,
): ShaderFrame {
  const T = SCALAR[dtype];
  const op = store.reduce!;
  const kept = axes.filter((a) => !a.reduced), reduced = axes.filter((a) => a.reduced);
  const K = sizeOf(kept.map((a) => a.size)), R = sizeOf(reduced.map((a) => a.size));
  const keptNames = kept.map((_, j) => `k${j}`), reducedNames = reduced.map((_, j) => `q${j}`);
  const bases = () =>
    Array.from(
      { length: patternCount },
      (_, p) => `let base${p} = ${linear(kept, keptNames, p, numbers)};`,
    );
  const loop = (body: Body) => {
    const stmts = body(memo((p) => `base${p} + ${linear(reduced, reducedNames, p, numbers)}`));
    return [...coordinates("r", reduced, reducedNames, numbers), ...stmts];
  };
  const init = `var acc: ${T} = ${renderIdentity(op, dtype)};`;
  if (R <= SERIAL_LIMIT) {
    return {
      groups: dispatch(K, WORKGROUP),
      globals: [],
      lines: (body) => {
        const count = numbers.size(K);
        const head = [...coordinates("k", kept, keptNames, numbers), ...bases(), init];
        const terms = numbers.size(R);
        return [
          `@compute @workgroup_size(${WORKGROUP})`,
          "fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {",
          `  let k = gid.x + gid.y * nwg.x * ${WORKGROUP}u;`,
          `  if (k >= ${count}) { return; }`,
          ...indent(head, 1),
          `  for (var r = 0u; r < ${terms}; r++) {`,
          ...indent(loop(body), 2),
          "  }",
          `  ${save("k", "acc")}`,
          "}",
        ];
      },
    };
  }
  return {
    groups: dispatch(K, 1),
    globals: [`var<workgroup> part: array<${T}, ${WORKGROUP}>;`],
    lines: (body) => {
      const count = numbers.size(K);
      const head = [...coordinates("k", kept, keptNames, numbers), ...bases()];
      const terms = numbers.size(R);
      return [
        `@compute @workgroup_size(${WORKGROUP})`,
        "fn main(",
        "  @builtin(workgroup_id) wid: vec3u,",
        "  @builtin(local_invocation_id) lid: vec3u,",
        "  @builtin(num_workgroups) nwg: vec3u,",
        ") {",
        "  let k = wid.x + wid.y * nwg.x;",
        `  let live = k < ${count};`,
        `  ${init}`,
        "  if (live) {",
        ...indent(head, 2),
        `    for (var r = lid.x; r < ${terms}; r += ${WORKGROUP}u) {`,
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
      ];
    },
  };
}
