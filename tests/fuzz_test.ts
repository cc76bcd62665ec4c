/**
 * The differential fuzzer: random programs (DAGs with fan-out, siblings and several outputs
 * over every kind of primitive, dtype and broadcast; see tests/fuzz/) run eagerly on ref (the
 * semantics), eagerly on wasm, and jitted on wasm and WebGPU, under their value, gradient,
 * Hessian or vmap, and must agree. A failure shrinks to a minimal program, printed as a
 * standalone snippet.
 *
 * Each run checks three fixed seeds and one fresh seed, printed (`fuzz seed ...`), 16 bundles
 * of up to 12 programs each: 60-100 s on two shared cores. Replay a seed with
 * `ADJOINT_FUZZ_SEED=<seed> deno test -A tests/fuzz_test.ts`; set `ADJOINT_FUZZ_RUNS` to search
 * longer.
 *
 * Issue 12's bugs 1 and 2 (the memory plan storing an output over an input its kernel reads
 * later), put back, make it fail: over 12 fresh seeds the first disagreement came after 2 to
 * 26 bundles (10-139 programs, 1-39 s; median about 10 bundles), and in a run of this file
 * 3 of its 4 seeds failed, after 3 to 11 bundles, the program verifier (on here) naming the
 * kernel at the same bundle as the differential check or earlier.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Array, config, initWebGPU, tree } from "../mod.ts";
import { defaultBackendName } from "../core/backend.ts";
import { jitCallCounts } from "../kernels/wasm/jit_executor.ts";
import { fill, FILL_SOURCE } from "./fuzz/choices.ts";
import { checkedArguments, checkedFunction, place } from "./fuzz/functions.ts";
import { check, type Failure } from "./fuzz/oracles.ts";
import { type Program, programs } from "./fuzz/programs.ts";
import { snippet } from "./fuzz/snippet.ts";

const gpu = await initWebGPU();
if (!gpu) console.warn("fuzz: no WebGPU adapter, programs are not jitted on webgpu");
config.update("verifyPrograms", true);

/** Programs jitted together as one function: one compile checks them all. */
const BUNDLE = 12;
/** Bundles per seed. */
const RUNS = Number(Deno.env.get("ADJOINT_FUZZ_RUNS") ?? 16);
/** Seeds every run checks. */
const FIXED_SEEDS = [1, 2, 3];
/** How long a failure may shrink before the smallest failing bundle so far is reported. */
const SHRINK_MS = 60_000;

function freshSeed(): number {
  const env = Deno.env.get("ADJOINT_FUZZ_SEED");
  return env ? Number(env) : (Date.now() ^ Math.floor(Math.random() * 2 ** 31)) >>> 1;
}

type Bundle = Program[];

/** A failure, and whether its program fails alone too (then the snippet shows just that one). */
interface Found {
  failure: Failure;
  alone: boolean;
}

/** Runs `numRuns` bundles from `seed`, shrinking the first failure to the same oracle's. */
async function fuzz(seed: number, numRuns: number): Promise<void> {
  const targets = { webgpu: gpu !== null };
  const found = new WeakMap<Bundle, Found>();
  let target: string | undefined;
  let failedAt = 0;
  const show = (b: Bundle) => {
    const f = found.get(b);
    const replay = `replay: ADJOINT_FUZZ_SEED=${seed} deno test -A tests/fuzz_test.ts`;
    if (!f) return snippet(b, [replay]);
    const { oracle, program, message } = f.failure;
    const header = `${oracle} disagrees with ref: ${message}`;
    // A throw from jitting the whole bundle names no program (-1).
    return snippet(f.alone && program >= 0 ? [b[program]] : b, [header, replay]);
  };
  const bundles = fc.array(programs((p) => snippet([p])), {
    minLength: 1,
    maxLength: BUNDLE,
    size: "max",
  }).map((b) => Object.assign(b, { [fc.toStringMethod]: () => show(b) }));
  const compiled = jitCallCounts.compiled;
  await fc.assert(
    fc.asyncProperty(bundles, async (bundle) => {
      if (target !== undefined && performance.now() - failedAt > SHRINK_MS) return;
      const failure = await check(bundle, targets, target);
      if (!failure) return;
      if (target === undefined) [target, failedAt] = [failure.oracle, performance.now()];
      const alone = bundle.length === 1 ||
        (failure.program >= 0 && await check([bundle[failure.program]], targets, target) !== null);
      found.set(bundle, { failure, alone });
      throw new Error(`${failure.oracle}: ${failure.message}`);
    }),
    { seed, numRuns },
  );
  // Programs jitted on wasm must have run compiled, not op by op, or the check proved little.
  assert.ok(jitCallCounts.compiled > compiled, "no fuzz program ran as a compiled kernel program");
}

Deno.test("fuzz: the snippets' data helper fills what the fuzzer fills", () => {
  const js = FILL_SOURCE.replace(/: (number\[\]|number|string)/g, "");
  const helper = new Function(`${js}; return fill;`)() as typeof fill;
  for (const [seed, dtype] of [[1, "float32"], [77, "int32"], [2 ** 30, "bool"]] as const) {
    assert.deepEqual(helper(seed, 50, dtype), fill(seed, 50, dtype));
  }
});

Deno.test("fuzz: a printed snippet computes what the fuzzer ran", async () => {
  const show = (t: unknown) =>
    JSON.stringify((tree.leaves(t as never) as Array[]).map((x) => x.toArray()));
  const sample = fc.sample(programs((p) => snippet([p])), { seed: 5, numRuns: 6 });
  for (const p of sample) {
    // The snippet runs on the default backend.
    const here = checkedArguments(p).map((a) => place(a, defaultBackendName()));
    const ran = show(checkedFunction(p)(...here));
    const text = snippet([p])
      .replace("jsr:@adjoint/adjoint", new URL("../mod.ts", import.meta.url).href)
      .split("\n").filter((l) => !l.startsWith("console.log")).join("\n") +
      "\nexport const out = show(g(...args));";
    const module = await import(`data:application/typescript;base64,${btoa(text)}`);
    assert.equal(module.out, ran, text);
  }
});

// Under ADJOINT_BACKEND=ref (CI's second pass) the fixed seeds would repeat the first pass.
const seeds = defaultBackendName() === "wasm" ? FIXED_SEEDS : [];
for (const seed of seeds) {
  Deno.test(`fuzz: random programs agree everywhere (fixed seed ${seed})`, () => fuzz(seed, RUNS));
}

const seed = freshSeed();
Deno.test(`fuzz: random programs agree everywhere (fresh seed ${seed})`, () => {
  console.log("fuzz seed", seed);
  return fuzz(seed, RUNS);
});
