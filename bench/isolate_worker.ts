/**
 * Worker side of isolate.ts: loads one contender factory and serves prepare / result / sample /
 * release requests with the same timing code as the in-process host.
 * @module
 */
/// <reference lib="deno.worker" />
import type { IsolateReply, IsolateRequest } from "./isolate.ts";
import { type Contender, isNotAvailable, prepareRunner, reason, type Runner } from "./contender.ts";

let contender: Contender | undefined;
const runners = new Map<number, Runner>();
let nextRunner = 0;

async function handle(req: IsolateRequest): Promise<IsolateReply> {
  switch (req.op) {
    case "init": {
      const mod = await import(req.spec.module);
      const factory = mod[req.spec.factory];
      if (typeof factory !== "function") {
        return { ok: false, na: `${req.spec.module} has no factory ${req.spec.factory}` };
      }
      contender = await factory(req.spec.config) as Contender;
      return { ok: true, name: contender.name, detail: contender.detail };
    }
    case "prepare": {
      if (!contender) return { ok: false, na: "isolate not initialised" };
      const r = await prepareRunner(contender, req.case, req.inputs);
      if (isNotAvailable(r)) return { ok: false, na: r.na };
      runners.set(++nextRunner, r);
      return {
        ok: true,
        runner: nextRunner,
        firstMs: r.firstMs,
        peakBytes: r.peakBytes,
        note: r.note,
      };
    }
    case "sample": {
      const r = runners.get(req.runner);
      if (!r) return { ok: false, na: `unknown runner ${req.runner}` };
      return { ok: true, ms: await r.sample(req.reps) };
    }
    case "result": {
      const r = runners.get(req.runner);
      if (!r) return { ok: false, na: `unknown runner ${req.runner}` };
      return { ok: true, outputs: await r.result() };
    }
    case "release": {
      await runners.get(req.runner)?.release();
      runners.delete(req.runner);
      return { ok: true };
    }
  }
}

self.onmessage = async (e: MessageEvent<IsolateRequest>) => {
  let reply: IsolateReply;
  try {
    reply = await handle(e.data);
  } catch (err) {
    reply = { ok: false, na: reason(err) };
  }
  self.postMessage(reply);
};
