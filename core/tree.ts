/**
 * Pytrees: nested plain objects and JS arrays whose leaves are arrays (or any other value).
 * `null` and `undefined` are empty nodes, as JAX's `None`.
 * @module
 */
import { Array } from "./array.ts";
import { AdjointError } from "./errors.ts";

/** A nested structure of objects and arrays with leaves of type `T`. */
export type Tree<T = unknown> = T | Tree<T>[] | { [key: string]: Tree<T> } | null | undefined;

/** The shape of a pytree without its leaves. */
export class TreeDef {
  /** A node: `kind` with `keys` (objects only) and child structures. */
  constructor(
    readonly kind: "leaf" | "array" | "object" | "none",
    readonly children: TreeDef[] = [],
    readonly keys: string[] = [],
    readonly emptyValue?: null,
  ) {}
  /** Number of leaves. */
  get numLeaves(): number {
    return this.kind === "leaf" ? 1 : this.children.reduce((n, c) => n + c.numLeaves, 0);
  }
  /** Structural equality. */
  equals(other: TreeDef): boolean {
    return this.kind === other.kind && this.keys.length === other.keys.length &&
      this.keys.every((k, i) => k === other.keys[i]) &&
      this.children.length === other.children.length &&
      this.children.every((c, i) => c.equals(other.children[i]));
  }
  /** `{a: *, b: [*, *]}`: `*` marks a leaf. */
  toString(): string {
    switch (this.kind) {
      case "leaf":
        return "*";
      case "none":
        return String(this.emptyValue);
      case "array":
        return `[${this.children.join(", ")}]`;
      case "object":
        return `{${this.keys.map((k, i) => `${k}: ${this.children[i]}`).join(", ")}}`;
    }
  }
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== "object") return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** Whether `x` is a leaf (anything but a plain object, a JS array, null or undefined). */
export function isLeaf(x: unknown): boolean {
  return !(globalThis.Array.isArray(x) || isPlainObject(x) || x === null || x === undefined);
}

/** Leaves in order (object keys sorted) and the structure. */
export function flatten<T = unknown>(tree: Tree<T>): [T[], TreeDef] {
  const leaves: T[] = [];
  const walk = (t: unknown): TreeDef => {
    if (t === null || t === undefined) return new TreeDef("none", [], [], t);
    if (globalThis.Array.isArray(t)) return new TreeDef("array", t.map(walk));
    if (isPlainObject(t)) {
      const keys = Object.keys(t).sort();
      return new TreeDef("object", keys.map((k) => walk(t[k])), keys);
    }
    leaves.push(t as T);
    return new TreeDef("leaf");
  };
  const def = walk(tree);
  return [leaves, def];
}

/** Rebuilds a tree of structure `def` from leaves. */
export function unflatten<T = unknown>(def: TreeDef, leaves: readonly T[]): Tree<T> {
  if (leaves.length !== def.numLeaves) {
    throw new AdjointError(
      "tree.unflatten",
      `structure ${def} has ${def.numLeaves} leaves, but ${leaves.length} were given`,
    );
  }
  let i = 0;
  const build = (d: TreeDef): Tree<T> => {
    switch (d.kind) {
      case "leaf":
        return leaves[i++];
      case "none":
        return d.emptyValue;
      case "array":
        return d.children.map(build);
      case "object":
        return Object.fromEntries(d.keys.map((k, j) => [k, build(d.children[j])]));
    }
  };
  return build(def);
}

/** Leaves of a tree. */
export function leaves<T = unknown>(tree: Tree<T>): T[] {
  return flatten(tree)[0];
}

/** Structure of a tree. */
export function structure(tree: Tree): TreeDef {
  return flatten(tree)[1];
}

function childPath(path: string, d: TreeDef, i: number): string {
  return d.kind === "array" ? `${path}[${i}]` : `${path}.${d.keys[i]}`;
}

/**
 * The first place where two structures differ, as a path like `params.layers[0].w`, with what
 * each side has there; `null` when they are equal.
 */
export function treeDifference(a: TreeDef, b: TreeDef, path = "tree"): string | null {
  if (a.kind !== b.kind) return `at ${path}: ${a} vs ${b}`;
  if (a.kind === "array" && a.children.length !== b.children.length) {
    return `at ${path}: a list of ${a.children.length} vs a list of ${b.children.length}`;
  }
  if (a.kind === "object") {
    const missing = a.keys.filter((k) => !b.keys.includes(k));
    const extra = b.keys.filter((k) => !a.keys.includes(k));
    if (missing.length || extra.length) {
      return `at ${path}: keys {${a.keys.join(", ")}} vs {${b.keys.join(", ")}}`;
    }
  }
  for (let i = 0; i < a.children.length; i++) {
    const d = treeDifference(a.children[i], b.children[i], childPath(path, a, i));
    if (d) return d;
  }
  return null;
}

/** Throws an error naming `op` and the path where two structures differ. */
export function assertSameStructure(op: string, a: TreeDef, b: TreeDef, names = "trees"): void {
  const d = treeDifference(a, b);
  if (d) throw new AdjointError(op, `${names} have different structures ${d}`);
}

/** Applies `fn` to corresponding leaves of one or more trees of the same structure. */
export function map<R = unknown>(
  fn: (...leaves: any[]) => R,
  tree: Tree,
  ...rest: Tree[]
): Tree<R> {
  const [ls, def] = flatten(tree);
  const others = rest.map((t) => {
    const [l, d] = flatten(t);
    assertSameStructure("tree.map", def, d);
    return l;
  });
  return unflatten(def, ls.map((l, i) => fn(l, ...others.map((o) => o[i]))));
}

/**
 * Expands a tree prefix (e.g. vmap's `inAxes`) to one value per leaf of `full`: a leaf of the
 * prefix applies to the whole subtree under it.
 */
export function broadcastPrefix<T>(op: string, prefix: Tree<T>, full: Tree): T[] {
  const out: T[] = [];
  const walk = (p: unknown, f: unknown, path: string) => {
    if (isLeaf(p) || p === null || p === undefined) {
      const n = flatten(f)[0].length;
      for (let i = 0; i < n; i++) out.push(p as T);
      return;
    }
    const [, pd] = flatten(p);
    const [, fd] = flatten(f);
    if (pd.kind !== fd.kind) {
      throw new AdjointError(op, `at ${path}: expected a prefix of ${fd}, got ${pd}`);
    }
    if (globalThis.Array.isArray(p)) {
      const fa = f as unknown[];
      if (p.length !== fa.length) {
        throw new AdjointError(op, `at ${path}: a list of ${p.length} vs a list of ${fa.length}`);
      }
      p.forEach((c, i) => walk(c, fa[i], `${path}[${i}]`));
    } else {
      const po = p as Record<string, unknown>, fo = f as Record<string, unknown>;
      for (const k of Object.keys(fo).sort()) {
        if (!(k in po)) throw new AdjointError(op, `at ${path}: missing key ${k}`);
        walk(po[k], fo[k], `${path}.${k}`);
      }
    }
  };
  walk(prefix, full, "tree");
  return out;
}

/** Whether `x` is an Adjoint array. */
export function isArray(x: unknown): x is Array {
  return x instanceof Array;
}
