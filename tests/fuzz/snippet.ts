/**
 * A random program (or a bundle of them, jitted together) printed as a standalone TypeScript
 * snippet against the published package: what a fuzzer failure shows after shrinking.
 * @module
 */
import { FILL_SOURCE } from "./choices.ts";
import { type Literal, print, printLiteral } from "./expr.ts";
import { checkedArguments, type HostArray } from "./functions.ts";
import { nest } from "./ops.ts";
import { type Cotangent, type Program, typeOf } from "./programs.ts";
import type { VType } from "./types.ts";

const IMPORTS = `import { hessian, jit, lax, nn, numpy as np, random, tree, valueAndGrad, vmap } ` +
  `from "jsr:@adjoint/adjoint";`;

/** Arrays above this many elements print as `fill(seed, ...)` instead of their data. */
const PRINTED = 32;

function arrayText(
  data: readonly number[],
  t: { shape: readonly number[]; dtype: string },
  seed?: number,
): string {
  const dtype = JSON.stringify(t.dtype);
  if (seed !== undefined && data.length > PRINTED) {
    const filled = `np.array(fill(${seed}, ${data.length}, ${dtype}), ${dtype})`;
    return `np.reshape(${filled}, ${printLiteral([...t.shape])})`;
  }
  const flat: Literal[] = t.dtype === "bool" ? data.map((v) => v !== 0) : [...data];
  return `np.array(${printLiteral(nest(flat, t.shape) as Literal)}, ${dtype})`;
}

function name(p: Program, id: number): string {
  return id < p.inputs.length ? `x${id}` : `v${id}`;
}

/** The lines defining `f{s}` (the program), `g{s}` (what its mode checks) and `args{s}`. */
function programText(p: Program, s: string): string[] {
  const params = p.inputs.map((_, i) => `x${i}: np.Array`).join(", ");
  const lines = [`const f${s} = (${params}): np.Array[] => {`];
  p.nodes.forEach((n, i) => {
    const id = p.inputs.length + i;
    lines.push(`  const v${id} = ${print(n.expr, (k) => name(p, k))};`);
  });
  lines.push(`  return [${p.outputs.map((id) => name(p, id)).join(", ")}];`, "};");
  const args = checkedArguments(p).map((a: HostArray) => arrayText(a.data, a, a.seed));
  lines.push(`const args${s} = [${args.join(", ")}];`);
  const m = p.mode;
  const loss = (cotangents: readonly Cotangent[]) => {
    const xs = p.inputs.map((_, i) => `x${i}`).join(", ");
    const terms = cotangents.map((c) => {
      const t: VType = typeOf(p, p.outputs[c.output]);
      return `np.sum(np.multiply(out[${c.output}], ${arrayText(c.data, t, c.seed)}))`;
    });
    const sum = terms.reduce((a, b) => `np.add(${a}, ${b})`);
    lines.push(
      `const loss${s} = (${params}) => {`,
      `  const out = f${s}(${xs});`,
      `  return ${sum};`,
      "};",
    );
  };
  if (m.kind === "value") lines.push(`const g${s} = f${s};`);
  if (m.kind === "grad") {
    loss(m.cotangents);
    lines.push(`const g${s} = valueAndGrad(loss${s}, { argnums: ${printLiteral(m.argnums)} });`);
  }
  if (m.kind === "hessian") {
    loss(m.cotangents);
    lines.push(`const g${s} = hessian(loss${s}, { argnums: ${m.argnum} });`);
  }
  if (m.kind === "vmap") {
    let mapped = `f${s}`;
    if (m.grad) {
      loss(m.grad.cotangents);
      mapped = `valueAndGrad(loss${s}, { argnums: ${printLiteral(m.grad.argnums)} })`;
    }
    lines.push(`const g${s} = vmap(${mapped}, { inAxes: ${printLiteral(m.inAxes)} });`);
  }
  return lines;
}

/** The snippet: the programs, then their checked functions run eagerly and jitted. */
export function snippet(programs: readonly Program[], header: readonly string[] = []): string {
  const body: string[] = [];
  const show = "const show = (t: unknown) => " +
    "JSON.stringify(tree.leaves(t).map((x) => (x as np.Array).toArray()));";
  if (programs.length === 1) {
    body.push(...programText(programs[0], ""), show);
    body.push(`console.log("eager", show(g(...args)));`);
    body.push(`console.log("jit  ", show(jit(g, { compile: "sync" })(...args)));`);
  } else {
    programs.forEach((p, i) => body.push(...programText(p, `${i}`), ""));
    const gs = programs.map((_, i) => `g${i}`).join(", ");
    const as = programs.map((_, i) => `args${i}`).join(", ");
    body.push(
      "// The programs fail only when jitted together, as one function:",
      `const gs = [${gs}], argss = [${as}];`,
      "const bundle = (...xs: np.Array[]) => {",
      "  let k = 0;",
      "  return gs.flatMap((g, i) => tree.leaves(g(...xs.slice(k, (k += argss[i].length)))));",
      "};",
      show,
      `console.log("eager", show(bundle(...argss.flat())));`,
      `console.log("jit  ", show(jit(bundle, { compile: "sync" })(...argss.flat())));`,
    );
  }
  const helper = body.some((l) => l.includes("fill(")) ? [FILL_SOURCE, ""] : [];
  return [...header.map((h) => `// ${h}`), IMPORTS, "", ...helper, ...body].join("\n");
}
