/**
 * A persistent pool of kernel threads over the runtime's shared memory. A launch writes a task
 * into the slot of each worker it uses, tagged with the launch's number, bumps the launch counter
 * and wakes the workers with `Atomics.notify`; the calling thread runs the first task itself,
 * claims and runs any worker task still unstarted after a short grace (a worker without a core
 * must not hold the launch up), then waits with `Atomics.wait` (allowed on Deno's main thread)
 * until the others are done. With `setThreads("auto")` a ThreadGovernor decides how many workers
 * a launch uses and whether they poll (thread_governor.ts). The pool terminates
 * its workers after a quiet second (an unref'd timer, so idle workers never keep the process
 * alive) and is started again on demand. Besides the prebuilt module, the workers run the kernels
 * of jit-compiled modules registered with `addModule`.
 * @module
 */
import { AdjointError } from "../../core/errors.ts";
import type { LinearMemory } from "./memory.ts";
import { threadCount, threadsAdapt } from "./threads.ts";
import { governorRules, type LaunchPlan, ThreadGovernor } from "./thread_governor.ts";
import {
  claimTask,
  controlBytes,
  COUNTERS,
  DONE,
  EXITED,
  FAILED,
  MAX_ARGS,
  QUIT,
  READY,
  SEQ,
  slotIndex,
  SPIN,
  SPIN_US,
  tagIndex,
  type ThreadInit,
  waitWhileEqual,
  writeTask,
} from "./thread_protocol.ts";

/** Quiet time after which the workers are terminated. */
const IDLE_MS = 1000;
/** How long a launch waits for freshly started workers before running on the calling thread. */
const START_TIMEOUT_MS = 20_000;
/** How long stopping the pool waits for its workers to leave their loops. */
const EXIT_TIMEOUT_MS = 5_000;

/** One task: a kernel name and its arguments. */
export interface ThreadTask {
  /** Export of the prebuilt module, or `prefix + export` of a module added with `addModule`. */
  kernel: string;
  /** Its arguments (numbers; at most `MAX_ARGS`, 24). */
  args: readonly number[];
}

/** Launch counters, for tests and diagnostics. */
export const threadStats: {
  /** Launches that gave tasks to workers. */
  launches: number;
  /** Tasks given to workers. */
  workerTasks: number;
  /** Of those, tasks the launching thread ran because their worker had not started them. */
  claimedTasks: number;
} = { launches: 0, workerTasks: 0, claimedTasks: 0 };

/** A fixed thread count's plan: every task to a worker, polling, the usual grace. */
const fixedPlan: LaunchPlan = { threads: Infinity, spin: true, graceMs: governorRules.startMs };

/** The function exports of `module`. */
function functionsOf(module: WebAssembly.Module): string[] {
  return WebAssembly.Module.exports(module).filter((e) => e.kind === "function").map((e) => e.name);
}

/** Worker threads running kernels on one shared memory. */
export class ThreadPool {
  #workers: Worker[] = [];
  #modules: WebAssembly.Module[];
  #prefixes = new Set<string>();
  /** `[module index, export name]` of each kernel, by kernel index. */
  #exports: [number, string][];
  /** Name of each kernel (as tasks give it), by kernel index. */
  #kernels: string[];
  #index: Map<string, number>;
  #control: number;
  #lastUse = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #broken = false;
  #stopsAtUnload = false;
  #governor: ThreadGovernor | undefined;

  /**
   * A pool of up to `capacity` workers for `module` on `heap`; `control` is the byte address
   * of a control block of `controlBytes(capacity)` bytes.
   */
  constructor(
    readonly heap: LinearMemory,
    readonly module: WebAssembly.Module,
    control: number,
    readonly capacity: number,
  ) {
    this.#control = control;
    this.#modules = [module];
    this.#kernels = functionsOf(module);
    this.#exports = this.#kernels.map((name) => [0, name]);
    this.#index = new Map(this.#kernels.map((name, i) => [name, i]));
  }

  /**
   * Makes the function exports of a module compiled for the shared memory runnable as tasks
   * named `prefix + export`; a prefix given before is kept as it was (the same module). Running
   * workers cannot take a new module, so they are stopped and restart with it on the next launch.
   *
   * @example
   * ```ts ignore
   * pool.addModule(module, "jit-1f2e3d4c/");
   * pool.run([{ kernel: "jit-1f2e3d4c/k0", args }, ...], call);
   * ```
   */
  addModule(module: WebAssembly.Module, prefix: string): void {
    if (this.#prefixes.has(prefix)) return;
    this.#prefixes.add(prefix);
    const m = this.#modules.push(module) - 1;
    for (const name of functionsOf(module)) {
      this.#index.set(prefix + name, this.#kernels.length);
      this.#kernels.push(prefix + name);
      this.#exports.push([m, name]);
    }
    this.shutdown();
  }

  /** Bytes of control block a pool of `capacity` workers needs. */
  static controlBytes(capacity: number): number {
    return controlBytes(capacity);
  }

  /** Number of running workers. */
  get size(): number {
    return this.#workers.length;
  }

  #ctrl(): Int32Array {
    return new Int32Array(this.heap.memory.buffer, this.#control, COUNTERS);
  }

  /** Starts `n` workers (terminating others first) and waits until they are ready. */
  #start(n: number): boolean {
    this.shutdown();
    if (this.#broken) return false;
    if (!this.#stopsAtUnload) {
      // Workers still waiting when the program ends would be torn down mid-wait: stop them first.
      globalThis.addEventListener("unload", () => this.shutdown());
      this.#stopsAtUnload = true;
    }
    // No worker is left from an earlier start: counters and tags begin again from zero.
    const ctrl = this.#ctrl();
    ctrl.fill(0);
    const f64 = this.heap.f64;
    f64.fill(0, slotIndex(this.#control, 0), slotIndex(this.#control, n));
    for (let w = 0; w < n; w++) {
      const worker = new Worker(new URL("./thread_worker.ts", import.meta.url), { type: "module" });
      worker.onerror = (e) => {
        e.preventDefault();
        this.#broken = true;
        this.shutdown(false);
      };
      const init: ThreadInit = {
        memory: this.heap.memory,
        modules: this.#modules,
        control: this.#control,
        worker: w,
        kernels: this.#exports,
      };
      worker.postMessage(init);
      this.#workers.push(worker);
    }
    const deadline = performance.now() + START_TIMEOUT_MS;
    for (let r = Atomics.load(ctrl, READY); r < n; r = Atomics.load(ctrl, READY)) {
      const left = deadline - performance.now();
      if (left <= 0 || this.#broken) {
        this.shutdown(false);
        return false;
      }
      Atomics.wait(ctrl, READY, r, left);
    }
    return true;
  }

  /**
   * The governor of launches over `threads` threads (a new one when the count changes), or none
   * when the count is fixed (`setThreads(n)`).
   */
  governor(threads: number): ThreadGovernor | undefined {
    if (!threadsAdapt()) return undefined;
    if (this.#governor?.threads !== threads) this.#governor = new ThreadGovernor(threads);
    return this.#governor;
  }

  /**
   * Runs `tasks` in parallel: the first on the calling thread, the others on workers (started
   * when needed), as many as the governor lets (see thread_governor.ts; all of them when the
   * thread count is fixed). The calling thread runs the rest, and then any worker's task not yet
   * started after the plan's grace. Runs them all on the calling thread when workers cannot be
   * started.
   */
  run(tasks: readonly ThreadTask[], call: (task: ThreadTask) => void): void {
    const others = tasks.length - 1;
    if (others > this.capacity) {
      throw new AdjointError(
        "thread pool",
        `${tasks.length} tasks given, but the pool has room for ${this.capacity + 1}`,
      );
    }
    const governor = this.governor(Math.min(threadCount(), this.capacity + 1));
    const start = performance.now();
    const plan = governor?.plan(start) ?? fixedPlan;
    const posted = Math.min(others, plan.threads - 1);
    if (posted > 0 && !this.#broken && this.#workers.length < others && !this.#start(others)) {
      this.#broken = true;
    }
    if (posted <= 0 || this.#broken) {
      for (const t of tasks) call(t);
      // Workers idle by the governor's choice stay up for its probes.
      if (others > 0 && !this.#broken) this.#touch();
      return;
    }
    const fns = tasks.slice(1, posted + 1).map((task) => this.#kernelIndex(task));
    const ctrl = this.#ctrl();
    const launch = Atomics.load(ctrl, SEQ) + 1;
    Atomics.store(ctrl, DONE, 0);
    Atomics.store(ctrl, FAILED, 0);
    Atomics.store(ctrl, SPIN, plan.spin ? SPIN_US : 0);
    // Workers without a task keep their older tags: one waking late skips this launch.
    fns.forEach((fn, w) => this.#post(w, launch, fn, tasks[w + 1].args));
    Atomics.store(ctrl, SEQ, launch);
    Atomics.notify(ctrl, SEQ);
    threadStats.launches++;
    threadStats.workerTasks += posted;
    let ownMs = 0, claimed = 0, claimedMs = 0, ran = false;
    try {
      call(tasks[0]);
      for (const t of tasks.slice(posted + 1)) call(t);
      ownMs = performance.now() - start;
      ran = true;
    } finally {
      // Tasks no worker has started when the grace is over are run here (or, after a failure,
      // only taken away from the workers).
      const failed = !ran;
      const unstarted = () => this.#claimable(launch, posted);
      while (!failed && unstarted() && performance.now() - start < plan.graceMs);
      for (let w = posted - 1; w >= 0; w--) {
        if (!claimTask(this.heap.i32, this.#control, w, launch)) continue;
        claimed++;
        if (failed) continue;
        const t0 = performance.now();
        call(tasks[w + 1]);
        claimedMs += performance.now() - t0;
      }
      for (let d = Atomics.load(ctrl, DONE); d < posted - claimed; d = Atomics.load(ctrl, DONE)) {
        waitWhileEqual(ctrl, DONE, d);
      }
      this.#touch();
    }
    threadStats.claimedTasks += claimed;
    const waitMs = performance.now() - start - ownMs - claimedMs;
    governor?.record(performance.now(), { posted, claimed, ownMs, waitMs });
    const failed = Atomics.load(ctrl, FAILED);
    if (failed) {
      const args = tasks.find((t) => this.#index.get(t.kernel) === failed - 1)?.args ?? [];
      throw new AdjointError(
        "thread pool",
        `kernel ${this.#kernels[failed - 1]}(${args.join(", ")}) failed on a worker thread`,
      );
    }
  }

  /** Whether some of the first `posted` workers' tasks of launch `launch` are unstarted. */
  #claimable(launch: number, posted: number): boolean {
    for (let w = 0; w < posted; w++) {
      if (Atomics.load(this.heap.i32, tagIndex(this.#control, w)) === launch) return true;
    }
    return false;
  }

  /** The kernel index of a task (checking its arguments fit a slot). */
  #kernelIndex(task: ThreadTask): number {
    if (task.args.length > MAX_ARGS) {
      throw new AdjointError("thread pool", `${task.kernel}: at most ${MAX_ARGS} arguments`);
    }
    const fn = this.#index.get(task.kernel);
    if (fn === undefined) {
      throw new AdjointError("thread pool", `no kernel module has an export "${task.kernel}"`);
    }
    return fn;
  }

  /** Writes a task into worker `w`'s slot, tagged with launch number `launch`. */
  #post(w: number, launch: number, kernel: number, args: readonly number[]): void {
    writeTask(this.heap.f64, this.heap.i32, this.#control, w, launch, kernel, args);
  }

  /** Records a use and makes sure the idle check is armed. */
  #touch(): void {
    this.#lastUse = performance.now();
    if (this.#timer === undefined) this.#arm(IDLE_MS);
  }

  #arm(ms: number): void {
    const timer = setTimeout(() => {
      this.#timer = undefined;
      const quiet = performance.now() - this.#lastUse;
      if (quiet >= IDLE_MS) this.shutdown();
      else this.#arm(IDLE_MS - quiet);
    }, ms);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  /**
   * Tells the workers to exit, waits until each has left its loop, and terminates them (they are
   * started again on demand). Waiting matters: a worker that had not yet seen its QUIT when the
   * next pool reuses the control block would run the next launch's task a second time. A worker
   * that never answers (or `wait` false, for workers that never became ready) leaves the pool
   * broken: later launches run on the calling thread.
   */
  shutdown(wait = true): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#workers.length) return;
    const ctrl = this.#ctrl();
    const launch = Atomics.load(ctrl, SEQ) + 1;
    for (let w = 0; w < this.#workers.length; w++) this.#post(w, launch, QUIT, []);
    Atomics.store(ctrl, SEQ, launch);
    Atomics.notify(ctrl, SEQ);
    const deadline = performance.now() + EXIT_TIMEOUT_MS;
    for (let e = Atomics.load(ctrl, EXITED); e < this.#workers.length;) {
      const left = deadline - performance.now();
      if (!wait || left <= 0) {
        this.#broken = true;
        break;
      }
      Atomics.wait(ctrl, EXITED, e, left);
      e = Atomics.load(ctrl, EXITED);
    }
    for (const w of this.#workers) w.terminate();
    this.#workers = [];
  }
}
