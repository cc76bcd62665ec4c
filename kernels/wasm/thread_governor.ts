/**
 * When kernel threads do not get the cores, the pool gives up on them: the ThreadGovernor judges
 * each launch that used workers from the launching thread's own clock (did a worker start its task
 * while the launcher ran its own, did the join wait far longer than the work) and decides how many
 * threads the next launches really use and whether idle threads poll. It never changes how work is
 * split (that is fixed by the thread count, so results keep their bits); it only decides how many
 * of the tasks go to workers, the launching thread running the rest.
 *
 * States: "free" (every task to a worker, idle threads poll between kernels) and "contended"
 * (fewer workers or none, nobody polls). A run of late launches makes it contended and halves the
 * threads in effect; in contended mode, a probe now and then tries twice as many threads, and
 * prompt probes bring them back, up to "free" (where, just back, one late launch gives up again).
 * Pure logic: times come in as arguments.
 * @module
 */

/** What one launch that gave tasks to workers measured on the launching thread. */
export interface LaunchTiming {
  /** Tasks given to workers. */
  posted: number;
  /** Of those, how many the launching thread ran itself because no worker had started them. */
  claimed: number;
  /** ms the launching thread spent running its own tasks. */
  ownMs: number;
  /**
   * ms from then until the last worker task was done (the grace for unstarted tasks included,
   * the tasks the launcher claimed excluded).
   */
  waitMs: number;
}

/** How a launch went: its workers started and finished in time, or not. */
export type LaunchVerdict = "prompt" | "late";

/** What the next launch should do. */
export interface LaunchPlan {
  /** Threads in effect: the launching thread and `threads - 1` workers run the tasks. */
  threads: number;
  /** Whether idle threads poll between kernels (else they sleep at once). */
  spin: boolean;
  /**
   * How long (ms from the launch) the launching thread, done with its own tasks, leaves the
   * workers' tasks to them before it claims those not yet started.
   */
  graceMs: number;
}

/** The governor's thresholds. */
export interface GovernorRules {
  /**
   * A worker that has not started its task this long (ms) after the launch lacks a core: a
   * sleeping thread on an idle core wakes in 50-100 us. The launcher then runs the task itself.
   */
  startMs: number;
  /** A join may wait this long (ms) beyond the launcher's own work before it counts as late. */
  joinSlackMs: number;
  /** ... and this many times the launcher's own work. */
  joinRatio: number;
  /** Weight of each new verdict in the running share of late launches. */
  weight: number;
  /** Share of late launches above which the threads count as contended. */
  contendedShare: number;
  /** First interval between probes in contended mode, ms. */
  probeMs: number;
  /**
   * Longest interval between probes, ms. Each late probe doubles the interval, and so does each
   * return to contended mode after the first; nothing shortens it again: threads that keep losing
   * their cores are probed at most this often.
   */
  maxProbeMs: number;
  /** Prompt probes in a row that raise the threads in effect. */
  promptProbes: number;
}

/** The rules the pool runs with. */
export const governorRules: GovernorRules = {
  startMs: 0.3,
  joinSlackMs: 0.3,
  joinRatio: 1,
  weight: 0.25,
  contendedShare: 0.5,
  probeMs: 100,
  maxProbeMs: 1000,
  promptProbes: 3,
};

/** Judges one launch (see `GovernorRules`). */
export function judgeLaunch(t: LaunchTiming, rules: GovernorRules = governorRules): LaunchVerdict {
  if (t.claimed > 0) return "late";
  return t.waitMs > rules.joinSlackMs + rules.joinRatio * t.ownMs ? "late" : "prompt";
}

/** Decides, launch by launch, how many of a pool's threads run tasks and whether they poll. */
export class ThreadGovernor {
  #mode: "free" | "contended" = "free";
  #inEffect: number;
  #late = 0;
  #probeEvery: number;
  #nextProbe = 0;
  #prompt = 0;
  #probing = false;
  #pinned: number | undefined;
  #contentions = 0;

  /** A governor for launches of up to `threads` tasks (the launching thread included). */
  constructor(readonly threads: number, readonly rules: GovernorRules = governorRules) {
    this.#inEffect = threads;
    this.#probeEvery = rules.probeMs;
  }

  /** "free" (all threads, polling) or "contended" (fewer threads or none, no polling). */
  get mode(): "free" | "contended" {
    return this.#mode;
  }

  /** Threads the launches use now, the launching thread included. */
  get inEffect(): number {
    return this.#pinned ?? this.#inEffect;
  }

  /**
   * Fixes the threads in effect (no measuring, no probing) until called with `undefined`: for
   * tests that must run one placement of the tasks.
   */
  pin(threads: number | undefined): void {
    this.#pinned = threads === undefined ? undefined : Math.max(1, Math.min(threads, this.threads));
  }

  /** The plan for a launch at time `now` (ms): a probe with more threads when one is due. */
  plan(now: number): LaunchPlan {
    const graceMs = this.rules.startMs;
    if (this.#pinned !== undefined) {
      return { threads: this.#pinned, spin: this.#pinned === this.threads, graceMs };
    }
    if (this.#mode === "free") return { threads: this.threads, spin: true, graceMs };
    this.#probing = now >= this.#nextProbe && this.#inEffect < this.threads;
    if (this.#probing) this.#nextProbe = now + this.#probeEvery;
    const threads = this.#probing ? Math.min(this.threads, 2 * this.#inEffect) : this.#inEffect;
    return { threads, spin: false, graceMs };
  }

  /** Takes in what the launch planned at time `now` measured. */
  record(now: number, timing: LaunchTiming): void {
    if (this.#pinned !== undefined) return;
    const verdict = judgeLaunch(timing, this.rules);
    if (this.#probing) this.#probed(now, verdict === "prompt");
    else this.#judged(now, verdict === "late");
  }

  #judged(now: number, late: boolean): void {
    this.#late += this.rules.weight * ((late ? 1 : 0) - this.#late);
    if (this.#late <= this.rules.contendedShare) return;
    // Too many late launches: halve the threads, stop polling, and look again later.
    this.#mode = "contended";
    this.#inEffect = Math.max(1, this.#inEffect >> 1);
    this.#late = 0;
    this.#prompt = 0;
    // Giving up again after probes brought the threads back: probe half as often.
    if (this.#contentions++ > 0) {
      this.#probeEvery = Math.min(this.rules.maxProbeMs, 2 * this.#probeEvery);
    }
    this.#nextProbe = now + this.#probeEvery;
  }

  #probed(now: number, prompt: boolean): void {
    this.#probing = false;
    if (!prompt) {
      this.#prompt = 0;
      this.#probeEvery = Math.min(this.rules.maxProbeMs, 2 * this.#probeEvery);
      this.#nextProbe = now + this.#probeEvery;
      return;
    }
    // A prompt probe is tried again at once, until enough in a row raise the threads.
    this.#nextProbe = now;
    if (++this.#prompt < this.rules.promptProbes) return;
    this.#prompt = 0;
    this.#inEffect = Math.min(this.threads, 2 * this.#inEffect);
    if (this.#inEffect === this.threads) {
      this.#mode = "free";
      // Just back: the share starts at the threshold, so one late launch gives up again.
      this.#late = this.rules.contendedShare;
    }
  }
}
