/**
 * Bit-level kernels: xor and the three shifts on int32 words, `bitcast_convert_type` between
 * int32 and float32, and the Threefry-2x32 block cipher (20 rounds, unrolled into the WGSL).
 *
 * Shift amounts outside `[0, 32)` follow XLA (as the ref backend does): logical shifts give 0 and
 * arithmetic right shifts give 0 or -1 by sign; WGSL itself would take the amount modulo 32.
 * @module
 */
import { mapRules } from "../rule_table.ts";
import { allocFor, type GpuRule } from "./rule.ts";
import { mapRule, type WgslExpr } from "./elementwise.ts";
import type { Kernel } from "./runtime.ts";
import { grid, KernelParams } from "./wgsl.ts";

/** Whether the i32 shift amount `s` lies in `[0, 32)`. */
const inRange = (s: string) => `(bitcast<u32>(${s}) < 32u)`;

/** WGSL expressions of the word primitives over i32 operands. */
const WORD_OPS: Record<
  "xor" | "shift_left" | "shift_right_logical" | "shift_right_arithmetic",
  WgslExpr
> = {
  xor: ([x, y]) => `(${x} ^ ${y})`,
  shift_left: ([x, s]) => `select(0i, ${x} << bitcast<u32>(${s}), ${inRange(s)})`,
  shift_right_logical: ([x, s]) =>
    `select(0i, bitcast<i32>(bitcast<u32>(${x}) >> bitcast<u32>(${s})), ${inRange(s)})`,
  shift_right_arithmetic: ([x, s]) => `(${x} >> select(31u, bitcast<u32>(${s}), ${inRange(s)}))`,
};

/** `bitcast_convert_type`: the same 32 bits read as the result's WGSL type. */
const bitcastRule = mapRule((_, out) => ([x]) =>
  `bitcast<${out.dtype === "float32" ? "f32" : "i32"}>(${x})`
);

/** Rotation constants of Threefry-2x32, four per group of rounds, alternating. */
const ROTATIONS = [[13, 15, 26, 6], [17, 29, 16, 24]];
/** The key schedule's parity constant. */
const KS_PARITY = 0x1bd11bda;

/** The 20 rounds of Threefry-2x32 on u32 words `a`, `b` with key schedule `ks0..ks2`, unrolled. */
function threefryRounds(): string {
  const lines = ["var a = x0[i] + ks0;", "var b = x1[i] + ks1;"];
  for (let group = 0; group < 5; group++) {
    for (const r of ROTATIONS[group % 2]) {
      lines.push("a += b;", `b = ((b << ${r}u) | (b >> ${32 - r}u)) ^ a;`);
    }
    lines.push(
      `a += ks${(group + 1) % 3};`,
      `b += ks${(group + 2) % 3} + ${group + 1}u;`,
    );
  }
  return lines.join("\n  ");
}

/** A kernel encrypting `n` counter blocks, each under its own key: `(y0, y1) = E_(k0, k1)(x0, x1)`. */
function threefryKernel(n: number): Kernel {
  const p = new KernelParams();
  const g = grid(n, p);
  const words = ["k0", "k1", "x0", "x1"].map((name, k) =>
    `@group(0) @binding(${k}) var<storage, read> ${name}: array<u32>;`
  );
  const outs = ["y0", "y1"].map((name, k) =>
    `@group(0) @binding(${4 + k}) var<storage, read_write> ${name}: array<u32>;`
  );
  const source = `${words.join("\n")}
${outs.join("\n")}
${p.declare(6)}
${g.prologue}
  let ks0 = k0[i];
  let ks1 = k1[i];
  let ks2 = ${KS_PARITY}u ^ ks0 ^ ks1;
  ${threefryRounds()}
  y0[i] = a;
  y1[i] = b;
}`;
  return { source, groups: g.groups, params: p.values };
}

const threefryRule: GpuRule = (rt, inputs, _inAvals, _params, [out0, out1]) => {
  const y0 = allocFor(rt, out0), y1 = allocFor(rt, out1);
  rt.run(threefryKernel(out0.size), [...inputs, y0, y1]);
  return [y0, y1];
};

/** WebGPU rules of the bit primitives and threefry2x32. */
export const bitsRules: Record<
  keyof typeof WORD_OPS | "bitcast_convert_type" | "threefry2x32",
  GpuRule
> = {
  ...mapRules(WORD_OPS, (expr) => mapRule(() => expr)),
  bitcast_convert_type: bitcastRule,
  threefry2x32: threefryRule,
};
