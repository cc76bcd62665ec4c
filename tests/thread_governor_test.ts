/**
 * The ThreadGovernor's decisions, driven by synthetic launch timings: when threads that do not get
 * the cores make it give up on workers and polling, and how probes bring them back.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  governorRules,
  judgeLaunch,
  type LaunchTiming,
  ThreadGovernor,
} from "../kernels/wasm/thread_governor.ts";

/** A launch whose worker started at once and finished with the launcher. */
const prompt: LaunchTiming = { posted: 1, claimed: 0, ownMs: 2, waitMs: 0.05 };
/** A launch whose worker had not started when the grace ran out. */
const unstarted: LaunchTiming = { posted: 1, claimed: 1, ownMs: 2, waitMs: 0.3 };
/** A launch whose worker started, then lost its core: the join waited far longer than the work. */
const stalled: LaunchTiming = { posted: 1, claimed: 0, ownMs: 2, waitMs: 6 };

/** Feeds `timing` for `n` launches, 1 ms apart from `t`; returns the time after. */
function feed(g: ThreadGovernor, t: number, timing: LaunchTiming, n: number): number {
  for (let i = 0; i < n; i++, t++) {
    if (g.plan(t).threads > 1) g.record(t, timing);
  }
  return t;
}

Deno.test("a launch is late when a worker task was unstarted or the join waited past the work", () => {
  assert.equal(judgeLaunch(prompt), "prompt");
  assert.equal(judgeLaunch(unstarted), "late");
  assert.equal(judgeLaunch(stalled), "late");
  const { joinSlackMs, joinRatio } = governorRules;
  const edge = joinSlackMs + joinRatio * 2;
  assert.equal(judgeLaunch({ ...prompt, waitMs: edge }), "prompt");
  assert.equal(judgeLaunch({ ...prompt, waitMs: edge + 0.01 }), "late");
});

Deno.test("prompt launches keep every thread polling", () => {
  const g = new ThreadGovernor(4);
  feed(g, 0, prompt, 1000);
  assert.equal(g.mode, "free");
  assert.deepEqual(g.plan(1000), { threads: 4, spin: true, graceMs: governorRules.startMs });
});

Deno.test("late launches halve the threads in effect and stop the polling", () => {
  for (const late of [unstarted, stalled]) {
    const g = new ThreadGovernor(4);
    let t = feed(g, 0, prompt, 20);
    t = feed(g, t, late, 3);
    assert.equal(g.mode, "contended");
    assert.equal(g.inEffect, 2);
    assert.deepEqual(g.plan(t), { threads: 2, spin: false, graceMs: governorRules.startMs });
    // Still late on two threads: down to the calling thread alone.
    t = feed(g, t, late, 3);
    assert.equal(g.inEffect, 1);
    assert.equal(g.plan(t).threads, 1);
  }
});

Deno.test("a late launch now and then among prompt ones changes nothing", () => {
  const g = new ThreadGovernor(2);
  let t = 0;
  for (let i = 0; i < 200; i++) t = feed(g, feed(g, t, prompt, 4), unstarted, 1);
  assert.equal(g.mode, "free");
  assert.equal(g.inEffect, 2);
});

Deno.test("probes bring the threads back when they are prompt, and back off when late", () => {
  const g = new ThreadGovernor(2);
  let t = feed(g, 0, unstarted, 3);
  assert.equal(g.inEffect, 1);
  // Before the first probe is due, launches stay on the calling thread.
  assert.equal(g.plan(t + governorRules.probeMs - 5).threads, 1);
  // A late probe: the next is due twice as late.
  t += governorRules.probeMs;
  assert.equal(g.plan(t).threads, 2);
  g.record(t, unstarted);
  assert.equal(g.plan(t + 2 * governorRules.probeMs - 1).threads, 1);
  t += 2 * governorRules.probeMs;
  // Prompt probes, one after the other, until enough in a row raise the threads.
  for (let i = 0; i < governorRules.promptProbes; i++, t++) {
    assert.equal(g.mode, "contended");
    assert.equal(g.plan(t).threads, 2, `probe ${i}`);
    g.record(t, prompt);
  }
  assert.equal(g.mode, "free");
  assert.deepEqual(g.plan(t), { threads: 2, spin: true, graceMs: governorRules.startMs });
  // Just back, one late launch gives up again; after prompt ones, it takes a run of them.
  feed(g, t, unstarted, 1);
  assert.equal(g.mode, "contended");
});

Deno.test("once back for a while, the threads need a run of late launches to give up again", () => {
  const g = new ThreadGovernor(2);
  let t = feed(g, 0, unstarted, 3);
  for (t += governorRules.probeMs; g.mode === "contended"; t++) {
    if (g.plan(t).threads === 2) g.record(t, prompt);
  }
  t = feed(g, t, prompt, 20);
  t = feed(g, t, unstarted, 2);
  assert.equal(g.mode, "free");
  feed(g, t, unstarted, 1);
  assert.equal(g.mode, "contended");
});

Deno.test("each return to contended mode probes half as often", () => {
  const g = new ThreadGovernor(2);
  let t = feed(g, 0, unstarted, 2);
  g.plan(t);
  g.record(t, unstarted);
  assert.equal(g.mode, "contended");
  const firstProbes: number[] = [];
  for (let round = 0; round < 6; round++) {
    const from = t;
    while (g.plan(++t).threads === 1);
    firstProbes.push(t - from);
    // Prompt probes bring the threads back, and the next launch is late again.
    for (g.record(t, prompt); g.mode === "contended"; t++) {
      if (g.plan(t).threads === 2) g.record(t, prompt);
    }
    g.plan(t);
    g.record(t, unstarted);
  }
  const { probeMs, maxProbeMs } = governorRules;
  assert.deepEqual(firstProbes, [1, 2, 4, 8, 10, 10].map((k) => Math.min(maxProbeMs, k * probeMs)));
});

Deno.test("probes back off to at most the longest interval", () => {
  const g = new ThreadGovernor(2);
  let t = feed(g, 0, stalled, 3);
  let probes = 0;
  for (; t < 20_000; t++) {
    if (g.plan(t).threads === 1) continue;
    probes++;
    g.record(t, stalled);
  }
  // 100, 200, 400, 800, then every 1000 ms.
  assert.ok(probes >= 20 && probes <= 22, `${probes} probes in 20 s`);
});

Deno.test("a pinned governor plans its threads and ignores timings", () => {
  const g = new ThreadGovernor(2);
  g.pin(1);
  feed(g, 0, prompt, 10);
  assert.equal(g.plan(10).threads, 1);
  g.pin(2);
  feed(g, 10, unstarted, 10);
  assert.deepEqual(g.plan(20), { threads: 2, spin: true, graceMs: governorRules.startMs });
  g.pin(undefined);
  assert.equal(g.mode, "free");
});

Deno.test("whatever the timings, plans stay within the threads and poll only when free", () => {
  const timing = fc.record({
    posted: fc.constant(1),
    claimed: fc.integer({ min: 0, max: 1 }),
    ownMs: fc.double({ min: 0, max: 10, noNaN: true }),
    waitMs: fc.double({ min: 0, max: 10, noNaN: true }),
  });
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 16 }),
    fc.array(fc.tuple(fc.integer({ min: 0, max: 300 }), timing), { maxLength: 200 }),
    (threads, launches) => {
      const g = new ThreadGovernor(threads);
      let t = 0;
      for (const [gap, timing] of launches) {
        t += gap;
        const plan = g.plan(t);
        assert.ok(plan.threads >= 1 && plan.threads <= threads);
        assert.ok(g.inEffect >= 1 && g.inEffect <= threads);
        assert.equal(plan.spin, g.mode === "free");
        assert.equal(g.mode === "free", g.inEffect === threads);
        if (plan.threads > 1) g.record(t, timing);
      }
    },
  ));
});
