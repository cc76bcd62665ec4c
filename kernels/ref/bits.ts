/**
 * Reference kernels for the bit primitives (xor, shifts, bitcast) and the threefry2x32 cipher,
 * listed in the reference backend's table.
 * @module
 */
import type { TypedArray } from "../../core/dtype.ts";
import { mapRules } from "../rule_table.ts";
import type { RefImpl } from "./impl.ts";

type WordOp = (x: number, y: number) => number;

/** Shifts by 32 or more, or by a negative amount, shift everything out (as XLA defines). */
const inRange = (s: number) => s >= 0 && s < 32;

const WORD_OPS: Record<
  "xor" | "shift_left" | "shift_right_logical" | "shift_right_arithmetic",
  WordOp
> = {
  xor: (x, y) => x ^ y,
  shift_left: (x, s) => (inRange(s) ? x << s : 0),
  shift_right_logical: (x, s) => (inRange(s) ? (x >>> s) | 0 : 0),
  shift_right_arithmetic: (x, s) => (inRange(s) ? x >> s : x >> 31),
};

function wordKernel(op: WordOp): RefImpl {
  return ([x, y]) => {
    const r = new Int32Array(x.length);
    for (let i = 0; i < x.length; i++) r[i] = op(x[i], y[i]);
    return [r];
  };
}

/** Views a copy of the elements' bytes as the output dtype (int32 and float32 share 4 bytes). */
const bitcast: RefImpl = ([x], _, __, [out]) => {
  const src: TypedArray = x instanceof Float32Array ? new Float32Array(x) : new Int32Array(x);
  return [out.dtype === "float32" ? new Float32Array(src.buffer) : new Int32Array(src.buffer)];
};

/** Rotation constants of Threefry-2x32, used four per group of rounds, alternating. */
const ROTATIONS = [[13, 15, 26, 6], [17, 29, 16, 24]];
/** The key schedule's parity constant. */
const KS_PARITY = 0x1bd11bda;

/** Threefry-2x32 with 20 rounds, block by block: `(y0[i], y1[i]) = E_(k0[i], k1[i])(x0[i], x1[i])`. */
const threefry: RefImpl = ([k0, k1, x0, x1]) => {
  const n = x0.length;
  const y0 = new Int32Array(n), y1 = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const ks = [k0[i] | 0, k1[i] | 0, (KS_PARITY ^ k0[i] ^ k1[i]) | 0];
    let a = (x0[i] + ks[0]) | 0, b = (x1[i] + ks[1]) | 0;
    for (let group = 0; group < 5; group++) {
      for (const r of ROTATIONS[group % 2]) {
        a = (a + b) | 0;
        b = ((b << r) | (b >>> (32 - r))) ^ a;
      }
      a = (a + ks[(group + 1) % 3]) | 0;
      b = (b + ks[(group + 2) % 3] + group + 1) | 0;
    }
    y0[i] = a;
    y1[i] = b;
  }
  return [y0, y1];
};

/** Reference kernels of the bit primitives and threefry2x32. */
export const bitsImpls: Record<
  keyof typeof WORD_OPS | "bitcast_convert_type" | "threefry2x32",
  RefImpl
> = {
  ...mapRules(WORD_OPS, wordKernel),
  bitcast_convert_type: bitcast,
  threefry2x32: threefry,
};
