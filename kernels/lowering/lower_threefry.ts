/**
 * The Threefry-2x32 block cipher (20 rounds; Salmon et al., "Parallel random numbers: as easy as
 * 1, 2, 3", SC 2011) as kernel IR expressions: the lowering of the threefry2x32 primitive, its
 * two output words from its four input words (key `k0, k1`, counter `x0, x1`), int32 words
 * standing for the unsigned ones (addition wraps alike). Each round adds, rotates by a constant
 * count (`(b << r) | (b >>> (32 - r))`) and xors, so every renderer's vector loops take it.
 * @module
 */
import type { Expr } from "./kernel_ir.ts";
import { binaryExpr, constant } from "./ir_builders.ts";

/** Rotation counts of Threefry-2x32, four per group of rounds, the two sets alternating. */
const ROTATIONS = [[13, 15, 26, 6], [17, 29, 16, 24]] as const;
/** The key schedule's parity constant. */
const KS_PARITY = 0x1bd11bda;

const add = (a: Expr, b: Expr): Expr => binaryExpr("add", a, b);
const xor = (a: Expr, b: Expr): Expr => binaryExpr("xor", a, b);
const shift = (op: "shl" | "shru", a: Expr, bits: number): Expr => ({
  kind: "shift",
  op,
  dtype: "int32",
  a,
  bits,
});
/** `b` rotated left by `r` in [1, 31] bits. */
const rotate = (b: Expr, r: number): Expr =>
  binaryExpr("or", shift("shl", b, r), shift("shru", b, 32 - r));

/**
 * `[y0, y1]`, the encryption of counter words `x0, x1` under key words `k0, k1` (int32
 * expressions): five groups of four rounds, each group followed by a key injection.
 */
export function threefry2x32Exprs([k0, k1, x0, x1]: readonly Expr[]): [Expr, Expr] {
  const ks = [k0, k1, xor(xor(k0, k1), constant("int32", KS_PARITY))];
  let a = add(x0, ks[0]), b = add(x1, ks[1]);
  for (let group = 0; group < 5; group++) {
    for (const r of ROTATIONS[group % 2]) {
      a = add(a, b);
      b = xor(rotate(b, r), a);
    }
    a = add(a, ks[(group + 1) % 3]);
    b = add(add(b, ks[(group + 2) % 3]), constant("int32", group + 1));
  }
  return [a, b];
}
