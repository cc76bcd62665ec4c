/**
 * A host that runs a contender in a worker of its own: a fresh module graph, so a library's
 * globals (jax-js's worker pool sized at init, TF.js's active backend) are set once per contender
 * and never leak into another row. The worker side is isolate_worker.ts; they talk by messages.
 * @module
 */
import type { BenchCase, Inputs } from "./cases.ts";
import type { Outputs } from "./check.ts";
import type { Host, NotAvailable, Runner } from "./contender.ts";

/** Which contender factory a worker loads: an exported `(config) => Promise<Contender>`. */
export interface IsolateSpec {
  /** Module URL (absolute). */
  module: string;
  /** Name of the exported factory. */
  factory: string;
  /** Its argument (structured-cloneable). */
  config: unknown;
}

/** A request to the worker. */
export type IsolateRequest =
  | { op: "init"; spec: IsolateSpec }
  | { op: "prepare"; case: BenchCase; inputs: Inputs }
  | { op: "sample"; runner: number; reps: number }
  | { op: "result"; runner: number }
  | { op: "release"; runner: number };

/** The worker's answer to a request. */
export type IsolateReply =
  | {
    ok: true;
    note?: string;
    name?: string;
    detail?: string;
    runner?: number;
    firstMs?: number;
    peakBytes?: number;
    outputs?: Outputs;
    ms?: number;
  }
  | { ok: false; na: string };

/** An RPC channel to one worker: one request in flight at a time. */
class Channel {
  #worker: Worker;
  #queue: Promise<unknown> = Promise.resolve();

  constructor() {
    this.#worker = new Worker(new URL("./isolate_worker.ts", import.meta.url), { type: "module" });
  }

  call(req: IsolateRequest): Promise<IsolateReply> {
    const next = this.#queue.then(() =>
      new Promise<IsolateReply>((resolve) => {
        this.#worker.onmessage = (e: MessageEvent<IsolateReply>) => resolve(e.data);
        this.#worker.onerror = (e: ErrorEvent) => {
          e.preventDefault();
          resolve({ ok: false, na: `worker failed: ${e.message}` });
        };
        this.#worker.postMessage(req);
      })
    );
    this.#queue = next;
    return next;
  }

  terminate(): void {
    this.#worker.terminate();
  }
}

/** Starts a contender in its own worker; a factory that fails gives a host whose cells are n/a. */
export async function isolateHost(spec: IsolateSpec, fallbackName: string): Promise<Host> {
  const channel = new Channel();
  const init = await channel.call({ op: "init", spec });
  if (!init.ok) {
    channel.terminate();
    return {
      name: fallbackName,
      detail: "-",
      prepare: () => Promise.resolve({ na: init.na }),
      close() {},
    };
  }
  return {
    name: init.name ?? fallbackName,
    detail: init.detail ?? "",
    async prepare(c: BenchCase, inputs: Inputs): Promise<Runner | NotAvailable> {
      const r = await channel.call({ op: "prepare", case: c, inputs });
      if (!r.ok) return { na: r.na };
      const id = r.runner!;
      return {
        firstMs: r.firstMs!,
        peakBytes: r.peakBytes,
        note: r.note,
        async result(): Promise<Outputs> {
          const s = await channel.call({ op: "result", runner: id });
          if (!s.ok) throw new Error(s.na);
          return s.outputs!;
        },
        async sample(reps: number): Promise<number> {
          const s = await channel.call({ op: "sample", runner: id, reps });
          if (!s.ok) throw new Error(s.na);
          return s.ms!;
        },
        async release(): Promise<void> {
          await channel.call({ op: "release", runner: id });
        },
      };
    },
    close: () => channel.terminate(),
  };
}
