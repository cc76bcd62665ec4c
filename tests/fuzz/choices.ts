/**
 * Raw choices and how a node's rule reads them. fast-check generates and shrinks plain numbers;
 * the generator interprets them, so every shrunk program is still well typed: a smaller number
 * means an earlier operand, a simpler rule, a default parameter.
 * @module
 */
import type { VType } from "./types.ts";
import { stream } from "../util/arbitraries.ts";

/** A node's raw choices: which rule, which operands, and parameters for the rule. */
export interface NodeChoice {
  op: number;
  a: number;
  b: number;
  params: readonly number[];
  output: number;
}

/**
 * Array data from its own seed: quarters in [-3, 3] for floats (exact in every float dtype, with
 * ties and zeros), integers in [-5, 5] for int32, 0 and 1 for bool. `FILL_SOURCE` is the same
 * function as snippet text, for data too large to print.
 */
export function fill(seed: number, n: number, dtype: string): number[] {
  const next = stream(seed);
  return Array.from({ length: n }, () => {
    const u = next();
    if (dtype === "bool") return Math.floor(u * 2);
    return dtype === "int32" ? Math.floor(u * 11) - 5 : (Math.floor(u * 25) - 12) / 4;
  });
}

/** `fill` as a standalone TypeScript function (stream included), for snippets. */
export const FILL_SOURCE = `const fill = (seed: number, n: number, dtype: string): number[] => {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: n }, () => {
    const u = next();
    if (dtype === "bool") return Math.floor(u * 2);
    return dtype === "int32" ? Math.floor(u * 11) - 5 : (Math.floor(u * 25) - 12) / 4;
  });
};`;

/** `n` quarters in [-3, 3]: exact in every float dtype, with ties and zeros. */
export function quarters(next: () => number, n: number): number[] {
  return Array.from({ length: n }, () => (Math.floor(next() * 25) - 12) / 4);
}

/** `n` integers in [lo, hi]. */
export function integers(next: () => number, n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, () => lo + Math.floor(next() * (hi - lo + 1)));
}

/** What a rule sees while it builds one node: the values so far and the node's choices. */
export class Ctx {
  #cursor = 0;
  #rest: () => number;

  constructor(
    /** Types of the values so far (inputs, then earlier nodes). */
    readonly types: readonly VType[],
    readonly choice: NodeChoice,
    /** The program's float dtype. */
    readonly float: "float32" | "float64",
    /** Values some node already reads. */
    readonly read: ReadonlySet<number> = new Set(),
    /** The most elements a value may have. */
    readonly maxSize = 144,
  ) {
    this.#rest = stream(choice.params.reduce((h, p) => Math.imul(h ^ p, 0x9e3779b1), 17));
  }

  /** The next parameter, in `[0, n)`: the node's raw parameters first, then a seeded stream. */
  take(n: number): number {
    if (n <= 1) return 0;
    const p = this.choice.params;
    if (this.#cursor < p.length) return p[this.#cursor++] % n;
    return Math.floor(this.#rest() * n);
  }

  /** A coin that comes up true with probability `1 / n` (false when its parameter shrinks). */
  chance(n: number): boolean {
    return this.take(n) === n - 1;
  }

  /** One of `xs`. */
  oneOf<T>(xs: readonly T[]): T {
    return xs[this.take(xs.length)];
  }

  /** A seeded stream for literal data. */
  data(): () => number {
    return stream(this.take(0x7fffffff));
  }

  /**
   * A value satisfying `ok`, chosen by `raw`: half the time the latest value nothing reads yet
   * (chains, and few values left unread), else one of the last three, else any (fan-out and
   * siblings). Undefined when no value qualifies.
   */
  pick(raw: number, ok: (t: VType, id: number) => boolean = () => true): number | undefined {
    const ids: number[] = [];
    for (let id = this.types.length - 1; id >= 0; id--) if (ok(this.types[id], id)) ids.push(id);
    if (ids.length === 0) return undefined;
    const r = raw % 16, rest = Math.floor(raw / 16);
    if (r < 8) return ids.find((id) => !this.read.has(id)) ?? ids[0];
    if (r < 12) return ids[rest % Math.min(3, ids.length)];
    return ids[rest % ids.length];
  }
}
