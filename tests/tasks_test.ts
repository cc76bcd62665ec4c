import assert from "node:assert/strict";
import { nextTask, schedule } from "../core/tasks.ts";

Deno.test("schedule runs a function in a later task, once, unless cancelled", async () => {
  const log: string[] = [];
  schedule(() => log.push("task"));
  const cancel = schedule(() => log.push("cancelled"));
  cancel();
  cancel();
  await Promise.resolve();
  log.push("microtask");
  await nextTask();
  await nextTask();
  assert.deepEqual(log, ["microtask", "task"]);
});

Deno.test("nextTask lets FinalizationRegistry callbacks run in a loop that never sleeps", async () => {
  let cleaned = 0;
  const registry = new FinalizationRegistry(() => cleaned++);
  for (let i = 0; i < 20_000 && cleaned === 0; i++) {
    registry.register({ payload: new globalThis.Array(100).fill(i) }, i);
    if (i % 10 === 0) await nextTask();
  }
  assert.ok(cleaned > 0, "no finalizer ran between tasks");
});
