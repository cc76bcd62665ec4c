/**
 * The loop nest around a fused kernel's bodies: loops over its space, the outermost over
 * `[lo, hi)`, the vector loops on the innermost axis (or pairs of axes) and the scalar body on
 * the remainder, with what runs around them (`LoopSurroundings`).
 * @module
 */
import type { VectorLoop } from "./vector_loops.ts";

/** What runs around the loops of `loopNest`. */
export interface LoopSurroundings {
  /** Lines at the start of each step of the outermost loop. */
  readonly enter?: string[];
  /** Lines at the end of each step of the outermost loop. */
  readonly leave?: string[];
  /** Lines before each run of the innermost loop of a lanes loop. */
  readonly row?: string[];
  /** Per loop `d` around the body (or the vector loops): the lines each of its steps starts with. */
  readonly levels?: readonly (readonly string[])[];
  /**
   * Of a lanes loop over three axes: the scalar body, vector loop and row lines that step 0 of
   * axis 1 runs instead (a reduction along it storing its first values instead of combining).
   */
  readonly peel?: { body: string[]; vector: VectorLoop; row?: string[] };
}

/**
 * The loops over `space` around the scalar `body`, the outermost one over `[lo, hi)`; with a
 * vector loop, it runs four elements at a time and the scalar body on the remainder (of the range,
 * when that loop is also the outermost), and on the points of a lanes loop outside its `within`.
 * `around` says what runs around the loops (`LoopSurroundings`).
 */
export function loopNest(
  space: readonly (number | string)[],
  body: string[],
  vector: VectorLoop | null,
  around: LoopSurroundings = {},
): string[] {
  const indent = (n: number) => "  ".repeat(n);
  const last = space.length - 1;
  const outer = !vector ? space.length : vector.kind === "lanes" ? last : last - 1;
  const bounds = (d: number): [string, string] => (d === 0 ? ["lo", "hi"] : ["0", `${space[d]}`]);
  const peel = vector?.kind === "lanes" && outer === 2 ? around.peel : undefined;
  const lines = space.slice(0, peel ? 1 : outer).flatMap((_, d) => {
    const [from, to] = bounds(d);
    const enter = d === 0 ? (around.enter ?? []).map((l) => indent(2) + l) : [];
    const level = (around.levels?.[d] ?? []).map((l) => `${indent(d + 2)}${l}`);
    return [
      `${indent(d + 1)}for (let i${d} = ${from}; i${d} < ${to}; i${d}++) {`,
      ...level,
      ...enter,
    ];
  });
  const at = indent(outer + 1);
  /** The lanes loop of the innermost axis (the scalar `body` around `vector`), at `at`. */
  const lanes = (at: string, body: string[], vector: VectorLoop, row: string[]): string[] => {
    const lines: string[] = [];
    const i = `i${last}`, [from, n] = bounds(last);
    const scalar = (to: string) => [
      `${at}for (; ${i} < ${to}; ${i}++) {`,
      ...body.map((l) => `${at}  ${l}`),
      `${at}}`,
    ];
    // Bounds of the fours: within the range of the axis (the outermost's runs to hi).
    const upTo = (b: number) => (last === 0 ? `min<i32>(${b}, hi)` : `${b}`);
    const [start, end] = vector.within ?? [0, null];
    const stop = end === null ? n : upTo(end);
    // A run-time size below 4 skips the vector loops and what runs around them (accumulators).
    const aroundLoops = vector.before.length + vector.after.length > 0;
    const guard = typeof space[last] === "string" && !vector.within && last > 0 && aroundLoops;
    const vat = guard ? at + "  " : at;
    const head = guard ? [] : [...vector.before, ...vector.wide?.before ?? []];
    lines.push(
      ...[...row, ...vector.bulk ?? [], ...head].map((l) => at + l),
      `${at}let ${i} = ${from};`,
    );
    if (guard) lines.push(`${at}if (${n} >= 4) {`, ...vector.before.map((l) => vat + l));
    if (start > 0) lines.push(...scalar(upTo(start)));
    if (vector.wide) {
      const { lanes, body, before = [], after = [] } = vector.wide;
      // Likewise a run-time size below the wide loop's lanes skips it and its accumulators.
      const wat = guard ? vat + "  " : vat;
      if (guard) lines.push(`${vat}if (${n} >= ${lanes}) {`, ...before.map((l) => wat + l));
      lines.push(`${wat}for (; ${i} + ${lanes} <= ${stop}; ${i} += ${lanes}) {`);
      lines.push(...body.map((l) => `${wat}  ${l}`), `${wat}}`, ...after.map((l) => wat + l));
      if (guard) lines.push(`${vat}}`);
    }
    lines.push(`${vat}for (; ${i} + 4 <= ${stop}; ${i} += 4) {`);
    lines.push(...vector.body.map((l) => `${vat}  ${l}`), `${vat}}`);
    lines.push(...vector.after.map((l) => vat + l));
    if (guard) lines.push(`${at}}`);
    lines.push(...scalar(n));
    return lines;
  };
  if (peel && vector) {
    // Step 0 of axis 1 on its own (its body's own loop), then steps 1 on.
    lines.push(`${indent(2)}{`, `${at}const i1 = 0;`);
    lines.push(...lanes(at, peel.body, peel.vector, peel.row ?? []), `${indent(2)}}`);
    lines.push(`${indent(2)}for (let i1 = 1; i1 < ${space[1]}; i1++) {`);
    lines.push(...lanes(at, body, vector, around.row ?? []), `${indent(2)}}`);
  } else if (vector?.kind === "lanes") {
    lines.push(...lanes(at, body, vector, around.row ?? []));
  } else if (vector) {
    const p = `i${last - 1}`, i = `i${last}`, n = space[last - 1];
    lines.push(`${at}let ${p} = 0;`);
    if (vector.quad) {
      const { halves, declare, combine } = vector.quad;
      lines.push(`${at}for (; ${p} + 4 <= ${n}; ${p} += 4) {`, `${at}  const base = ${p};`);
      lines.push(...declare.map((l) => `${at}  ${l}`));
      halves.forEach((half, h) => {
        lines.push(
          `${at}  {`,
          `${at}    const ${p} = base + ${2 * h};`,
          `${at}    const ${i} = 0;`,
        );
        lines.push(...half.map((l) => `${at}    ${l}`), `${at}  }`);
      });
      lines.push(...combine.map((l) => `${at}  ${l}`), `${at}}`);
    }
    lines.push(`${at}for (; ${p} + 2 <= ${n}; ${p} += 2) {`);
    lines.push(`${at}  const ${i} = 0;`, ...vector.body.map((l) => `${at}  ${l}`), `${at}}`);
    lines.push(`${at}for (; ${p} < ${n}; ${p}++) {`);
    lines.push(`${at}  for (let ${i} = 0; ${i} < 2; ${i}++) {`);
    lines.push(...body.map((l) => `${at}    ${l}`), `${at}  }`, `${at}}`);
  } else {
    lines.push(...body.map((l) => at + l));
  }
  for (let d = (peel ? 1 : outer) - 1; d >= 0; d--) {
    if (d === 0) lines.push(...(around.leave ?? []).map((l) => indent(2) + l));
    lines.push(`${indent(d + 1)}}`);
  }
  return lines;
}
