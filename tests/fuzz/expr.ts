/**
 * The fuzzer's expression language: a node of a random program is a call of a public Adjoint
 * function (`np.sum`, `lax.conv`, `nn.logSoftmax`, ...) on earlier values, literals and nested
 * calls. One description serves both purposes: `evaluate` runs it through the real functions and
 * `print` writes it as TypeScript, so the snippet a failure shows is exactly what ran.
 * @module
 */
import { lax, nn, numpy as np, random } from "../../mod.ts";

/** A JSON-like literal, `undefined` included (an omitted slice bound). */
export type Literal =
  | number
  | boolean
  | string
  | null
  | undefined
  | Literal[]
  | { [key: string]: Literal };

/** The namespaces a call may name, as a snippet imports them. */
const NAMESPACES = { np, lax, nn, random } as const;

/** `"np.sum"`, `"lax.conv"`, ...: a function of one of the namespaces. */
export type FnName = `${keyof typeof NAMESPACES}.${string}`;

/** An expression over the program's values `v0, v1, ...`. */
export type Expr =
  | { kind: "ref"; id: number }
  | { kind: "lit"; value: Literal }
  | { kind: "list"; items: Expr[] }
  | { kind: "call"; fn: FnName; args: Expr[] }
  | { kind: "item"; of: Expr; index: number };

/** Value `v{id}`. */
export function ref(id: number): Expr {
  return { kind: "ref", id };
}

/** A literal argument. */
export function lit(value: Literal): Expr {
  return { kind: "lit", value };
}

/** A call of `fn`; plain literals among `args` are wrapped. */
export function call(fn: FnName, ...args: (Expr | Literal)[]): Expr {
  return { kind: "call", fn, args: args.map(asExpr) };
}

/** A list of expressions (`np.concatenate([a, b])`). */
export function list(...items: Expr[]): Expr {
  return { kind: "list", items };
}

/** Element `index` of a list-valued expression (`np.split(x, 2)[1]`). */
export function item(of: Expr, index: number): Expr {
  return { kind: "item", of, index };
}

function isExpr(x: Expr | Literal): x is Expr {
  return typeof x === "object" && x !== null && !Array.isArray(x) && "kind" in x &&
    typeof x.kind === "string" && ["ref", "lit", "list", "call", "item"].includes(x.kind);
}

function asExpr(x: Expr | Literal): Expr {
  return isExpr(x) ? x : lit(x);
}

/** Runs `e`, reading value `v{id}` from `values`. */
export function evaluate(e: Expr, values: readonly unknown[]): unknown {
  switch (e.kind) {
    case "ref":
      return values[e.id];
    case "lit":
      return e.value;
    case "list":
      return e.items.map((x) => evaluate(x, values));
    case "item":
      return (evaluate(e.of, values) as unknown[])[e.index];
    case "call": {
      const [ns, name] = e.fn.split(".") as [keyof typeof NAMESPACES, string];
      const fn = (NAMESPACES[ns] as unknown as Record<string, (...a: unknown[]) => unknown>)[name];
      if (typeof fn !== "function") throw new Error(`fuzz expression: no function ${e.fn}`);
      return fn(...e.args.map((x) => evaluate(x, values)));
    }
  }
}

/** TypeScript text of a literal. */
export function printLiteral(v: Literal): string {
  if (v === undefined) return "undefined";
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "NaN";
    if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
    return Object.is(v, -0) ? "-0" : String(v);
  }
  if (Array.isArray(v)) return `[${v.map(printLiteral).join(", ")}]`;
  if (v !== null && typeof v === "object") {
    const entries = Object.entries(v).map(([k, x]) => `${k}: ${printLiteral(x)}`);
    return `{ ${entries.join(", ")} }`;
  }
  return JSON.stringify(v);
}

/** TypeScript text of `e`, naming value `id` by `name(id)`. */
export function print(e: Expr, name: (id: number) => string): string {
  switch (e.kind) {
    case "ref":
      return name(e.id);
    case "lit":
      return printLiteral(e.value);
    case "list":
      return `[${e.items.map((x) => print(x, name)).join(", ")}]`;
    case "item":
      return `${print(e.of, name)}[${e.index}]`;
    case "call":
      return `${e.fn}(${e.args.map((x) => print(x, name)).join(", ")})`;
  }
}

/** The value ids `e` reads. */
export function reads(e: Expr): number[] {
  switch (e.kind) {
    case "ref":
      return [e.id];
    case "lit":
      return [];
    case "list":
      return e.items.flatMap(reads);
    case "item":
      return reads(e.of);
    case "call":
      return e.args.flatMap(reads);
  }
}
