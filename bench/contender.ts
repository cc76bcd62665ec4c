/**
 * What a benchmarked library provides (a `Contender`) and how the runner drives it (a `Host`).
 *
 * A contender turns a case and its host inputs into a `step` that does the work once and waits
 * for the result. A host times those steps: in this process (`localHost`), or in a worker of its
 * own (isolate.ts) for libraries whose thread count or global state must not leak into others.
 * @module
 */
import type { BenchCase, Inputs } from "./cases.ts";
import type { Outputs } from "./check.ts";

/** A case a contender cannot run, with the reason printed in its cell. */
export interface NotAvailable {
  /** Why, e.g. "no jit". */
  na: string;
}

/** A prepared case: `step` runs it once; it returns a promise when the library is asynchronous. */
export interface Prepared {
  /** Does the work once and reads the result back. */
  step(): unknown;
  /**
   * Computes the case once more from its inputs, with the same program the steps run, and reads
   * back what it computed, in the case's layouts (check.ts compares it with the reference): for a
   * training step, one step from the initial parameters, its `loss` and every updated parameter
   * under its input name; otherwise the result array.
   */
  result(): Outputs | Promise<Outputs>;
  /** Frees what `prepare` allocated. */
  release?(): void;
  /** How this contender computes the case when it departs from the plain recipe. */
  note?: string;
  /**
   * Runs one step and returns the most bytes the library's allocator held at once during it
   * (see `Contender.heldBytes`).
   */
  stepPeakBytes?(): Promise<number>;
}

/** A library configuration under benchmark. */
export interface Contender {
  /** Display name, e.g. "jax-js". */
  readonly name: string;
  /** Backend and threads, e.g. "wasm, 1 thread". */
  readonly detail: string;
  /** Makes this contender's global settings current (default backend, thread count). */
  activate?(): void | Promise<void>;
  /** Prepares a case, or says why it cannot. */
  prepare(c: BenchCase, inputs: Inputs): Promise<Prepared | NotAvailable>;
  /** Bytes the library's own allocator holds now; absent where it does not count them. */
  heldBytes?(): number;
}

/** A prepared case under a host: timed samples on demand. */
export interface Runner {
  /** Time of the first call (includes tracing and compilation), ms. */
  readonly firstMs: number;
  /**
   * The most bytes a step holds at once, counted from before `prepare`: the case's inputs and
   * parameters, its compiled programs and their intermediates.
   */
  readonly peakBytes?: number;
  /** The prepared case's note, if any. */
  readonly note?: string;
  /** The prepared case's result from its inputs (see `Prepared.result`). */
  result(): Promise<Outputs>;
  /** Runs `reps` calls back to back and returns the mean time per call, ms. */
  sample(reps: number): Promise<number>;
  /** Frees the prepared case. */
  release(): Promise<void>;
}

/** Where a contender runs. */
export interface Host {
  /** Display name. */
  readonly name: string;
  /** Backend and threads. */
  readonly detail: string;
  /** Prepares a case and runs its first call. */
  prepare(c: BenchCase, inputs: Inputs): Promise<Runner | NotAvailable>;
  /** Shuts the host down. */
  close(): void;
}

/** Whether a prepare result is a refusal. */
export function isNotAvailable(x: unknown): x is NotAvailable {
  return typeof x === "object" && x !== null && "na" in x;
}

/** A short message for a thrown value. */
export function reason(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split("\n")[0].slice(0, 120);
}

/** Runs `prepared.step` `reps` times and returns the mean time per call, ms. */
async function timeSteps(prepared: Prepared, reps: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) {
    const r = prepared.step();
    if (r instanceof Promise) await r;
  }
  return (performance.now() - t0) / reps;
}

/**
 * Prepares a case on a contender and times its first call; errors become "n/a (reason)".
 * Shared by both hosts so a contender behaves the same in and out of a worker.
 */
export async function prepareRunner(
  contender: Contender,
  c: BenchCase,
  inputs: Inputs,
): Promise<Runner | NotAvailable> {
  let prepared: Prepared | NotAvailable;
  let firstMs: number, peakBytes: number | undefined;
  try {
    await contender.activate?.();
    const held = contender.heldBytes?.();
    prepared = await contender.prepare(c, inputs);
    if (isNotAvailable(prepared)) return prepared;
    firstMs = await timeSteps(prepared, 1);
    const peak = held === undefined ? undefined : await prepared.stepPeakBytes?.();
    peakBytes = peak === undefined ? undefined : peak - held!;
  } catch (e) {
    return { na: reason(e) };
  }
  const p = prepared;
  return {
    firstMs,
    peakBytes,
    note: p.note,
    async result(): Promise<Outputs> {
      await contender.activate?.();
      return await p.result();
    },
    async sample(reps: number): Promise<number> {
      await contender.activate?.();
      return await timeSteps(p, reps);
    },
    release(): Promise<void> {
      p.release?.();
      return Promise.resolve();
    },
  };
}

/** Runs a contender in this process. */
export function localHost(contender: Contender): Host {
  return {
    name: contender.name,
    detail: contender.detail,
    prepare: (c, inputs) => prepareRunner(contender, c, inputs),
    close() {},
  };
}
