/**
 * Is training bit-reproducible under load? Runs the demo's jitted convnet step (default recipe:
 * SGD momentum 0.9, cosine decay, shifts of up to a pixel, dropout) on real MNIST and prints an
 * FNV-1a checksum of the parameter bytes every `--every` steps. Perturbations that must not
 * change a single bit, each off by default:
 *
 *   --busy N       N child processes spinning on the cores meanwhile
 *   --gc N         a full garbage collection (needs --v8-flags=--expose-gc) about every N steps,
 *                  at random steps, with unreferenced wasm arrays left for the finalizers
 *   --churn N      about every N steps, hold or drop a random block of wasm memory, so buffers
 *                  land at other addresses than in an unperturbed run
 *   --poison X     fill every block allocated or freed with byte X (0-255) or "random", so a
 *                  kernel reading memory it did not write (or no longer owns) changes a checksum
 *   --restart N    stop the kernel threads about every N steps (they restart on the next launch)
 *   --pause N      sleep 2-30 ms about every N steps, so the workers go from polling to sleeping
 *   --eval N       every N steps, evaluate on 2000 test images in batches of 1000, as the demo
 *                  does after each epoch (its large buffers grow the memory; its pauses let the
 *                  thread pool stop)
 *
 * `--replay` runs every step twice in the one process, first on a copy of the state and batch,
 * and stops at the first step whose two results differ in any bit (the perturbations above run
 * between the two). `--pair` runs two such processes at once with the same flags and reports the first checksum
 * where they differ. Compare runs of the same `--threads` (a depth-split gemm sums its halves in
 * a thread-count-dependent order).
 *
 *   deno run -A --v8-flags=--expose-gc bench/determinism.ts --steps 600 --every 50 --pair \
 *     --busy 1 --gc 5 --churn 3 --poison random
 * @module
 */
import "../kernels/wasm/backend.ts";
import { type Block, LinearMemory } from "../kernels/wasm/memory.ts";
import { wasmRuntime } from "../kernels/wasm/runtime.ts";
import {
  type Array,
  ConcreteArray,
  data,
  numpy as np,
  random,
  setDefaultBackend,
  setThreads,
  type Tree,
  tree,
} from "../mod.ts";
import {
  convnet,
  evalStep,
  evaluate,
  optimizerFor,
  parseArgs,
  type TrainState,
  trainStep,
} from "../examples/mnist_convnet.ts";

interface Flags {
  steps: number;
  every: number;
  threads: number;
  limit: number;
  seed: number;
  busy: number;
  gc: number;
  churn: number;
  poison: string;
  restart: number;
  pause: number;
  eval: number;
  replay: boolean;
  pair: boolean;
}

const DEFAULT_FLAGS: Flags = {
  steps: 300,
  every: 25,
  threads: 2,
  limit: 6400,
  seed: 1,
  busy: 0,
  gc: 0,
  churn: 0,
  poison: "",
  restart: 0,
  pause: 0,
  eval: 0,
  replay: false,
  pair: false,
};

function parse(args: string[]): Flags {
  const flags: Record<string, unknown> = { ...DEFAULT_FLAGS };
  for (let i = 0; i < args.length; i++) {
    const name = args[i].replace(/^--/, "");
    if (!(name in DEFAULT_FLAGS)) throw new Error(`unknown flag ${args[i]}`);
    if (typeof DEFAULT_FLAGS[name as keyof Flags] === "boolean") flags[name] = true;
    else if (typeof DEFAULT_FLAGS[name as keyof Flags] === "number") {
      flags[name] = Number(args[++i]);
    } else flags[name] = args[++i];
  }
  return flags as unknown as Flags;
}

/** FNV-1a over the bytes of every leaf, continuing from `h`. */
function fnv(leaves: Array[], h = 0x811c9dc5): number {
  for (const leaf of leaves) {
    const t = leaf.concrete("checksum").dataSync();
    const bytes = new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  }
  return h;
}

const hex = (h: number) => h.toString(16).padStart(8, "0");

/** A copy of every array of `t` in fresh buffers. */
function copyTree<T extends Tree>(t: T): T {
  return tree.map((leaf) => {
    const c = (leaf as Array).concrete("copy");
    return ConcreteArray.fromHost(c.dataSync().slice(), c.shape, c.dtype, c.backend.name);
  }, t) as T;
}

/** Index and first differing element of the first leaf where `a` and `b` differ in any bit. */
function firstDifference(a: Array[], b: Array[]): string | null {
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i], b[i]].map((l) => {
      const t = l.concrete("compare").dataSync();
      return new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
    });
    const at = x.findIndex((v, j) => v !== y[j]);
    if (at >= 0) return `leaf ${i} [${a[i].shape}] byte ${at}`;
  }
  return null;
}

/** Child processes spinning until killed. */
function spawnBusy(n: number): Deno.ChildProcess[] {
  const children: Deno.ChildProcess[] = [];
  for (let i = 0; i < n; i++) {
    const command = new Deno.Command(Deno.execPath(), {
      args: ["eval", "while (true) {}"],
      stdout: "null",
      stderr: "null",
    });
    children.push(command.spawn());
  }
  return children;
}

/**
 * Fills each block the allocator hands out, and each block returned to it, with `byte` (or a
 * fresh random byte per block).
 */
function poisonAllocations(byte: string): void {
  const value = () => (byte === "random" ? Math.floor(Math.random() * 256) : Number(byte));
  const { alloc, release } = LinearMemory.prototype;
  LinearMemory.prototype.alloc = function (this: LinearMemory, bytes: number) {
    const block = alloc.call(this, bytes);
    this.u8.fill(value(), block.ptr, block.ptr + block.bytes);
    return block;
  };
  LinearMemory.prototype.release = function (this: LinearMemory, block: Block) {
    release.call(this, block);
    if (block.refs <= 0) this.u8.fill(value(), block.ptr, block.ptr + block.bytes);
  };
}

/** The synchronous perturbations the flags ask for, each at random steps. */
function perturbations(flags: Flags): () => void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (flags.gc && !gc) throw new Error("--gc needs --v8-flags=--expose-gc");
  const rt = wasmRuntime();
  const held: Block[] = [];
  const chance = (every: number) => every > 0 && Math.random() * every < 1;
  return () => {
    if (chance(flags.gc)) {
      // Arrays nobody references: their memory comes back when the finalizers run.
      for (let i = 0; i < 20; i++) np.ones([1 + Math.floor(Math.random() * 5000)]);
      gc!();
    }
    if (chance(flags.churn)) {
      if (held.length && Math.random() < 0.5) {
        rt.heap.release(held.splice(Math.floor(Math.random() * held.length), 1)[0]);
      } else held.push(rt.heap.alloc(64 * (1 + Math.floor(Math.random() * 4000))));
    }
    if (chance(flags.restart)) rt.pool?.shutdown();
  };
}

/** Trains as the flags say, printing a checksum line every `every` steps. */
async function trainRun(flags: Flags): Promise<void> {
  setDefaultBackend("wasm");
  setThreads(flags.threads);
  if (flags.poison) poisonAllocations(flags.poison);
  const perturb = perturbations(flags);
  const pause = () =>
    flags.pause > 0 && Math.random() * flags.pause < 1
      ? new Promise((r) => setTimeout(r, 2 + Math.random() * 28))
      : null;
  const busy = spawnBusy(flags.busy);
  try {
    const set = await data.mnistSplit("train", { standardize: true, limit: flags.limit });
    const trainData = { x: set.images, y: set.labels };
    const n = set.labels.shape[0];
    const options = parseArgs(["--seed", String(flags.seed)])!;
    const [initKey, dropoutKey, shuffleKey] = random.split(random.key(options.seed), 3);
    const net = convnet();
    const [, params] = net.init(initKey, [-1, 1, 28, 28]);
    const optimizer = optimizerFor(options, flags.steps);
    const step = trainStep(net, optimizer, options.shift);
    const evaluateBatch = evalStep(net);
    const testSet = flags.eval
      ? await data.mnistSplit("test", { standardize: true, limit: 2000 })
      : null;
    let state: TrainState = { params, opt: optimizer.init(params), key: dropoutKey };
    let done = 0, key = shuffleKey;
    while (done < flags.steps) {
      const [epochKey, nextKey] = random.split(key);
      key = nextKey;
      const order = random.permutation(epochKey, n);
      const batches = data.batches(trainData, { batchSize: 64, order, dropRemainder: true });
      for await (const batch of batches) {
        if (done === flags.steps) break;
        const twin = flags.replay ? step(copyTree(state), copyTree(batch)) as Tree : null;
        if (twin) perturb();
        const [next, metrics] = step(state, batch) as [TrainState, { loss: Array }];
        if (twin) {
          const differs = firstDifference(
            tree.leaves(twin) as Array[],
            tree.leaves([next, metrics] as unknown as Tree) as Array[],
          );
          if (differs) throw new Error(`step ${done + 1} replayed gives other bits: ${differs}`);
        }
        state = next;
        const loss = (await metrics.loss.read())[0];
        done++;
        if (done % flags.every === 0) {
          const h = fnv(tree.leaves(state.params as Tree) as Array[]);
          console.log(`step ${done}: params ${hex(h)} loss ${loss}`);
        }
        if (testSet && done % flags.eval === 0) {
          const test = { x: testSet.images, y: testSet.labels };
          const { testLoss } = await evaluate(evaluateBatch, state.params, test, 1000);
          console.log(`step ${done}: test loss ${testLoss}`);
        }
        perturb();
        await pause();
      }
    }
  } finally {
    for (const child of busy) {
      child.kill("SIGKILL");
      await child.status;
    }
  }
}

/** Runs two children with the same flags at once and compares their checksums. */
async function pair(args: string[]): Promise<void> {
  const self = new URL(import.meta.url).pathname;
  const childArgs = args.filter((a) => a !== "--pair");
  const children = [0, 1].map(() =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--v8-flags=--expose-gc", self, ...childArgs],
      stdout: "piped",
      stderr: "inherit",
    }).output()
  );
  const outs = await Promise.all(children);
  const [a, b] = outs.map((o) => new TextDecoder().decode(o.stdout).trim().split("\n"));
  const first = a.findIndex((line, i) => line !== b[i]);
  console.log(`flags: ${childArgs.join(" ") || "(defaults)"}`);
  if (outs.some((o) => !o.success)) console.log("a run failed");
  if (first < 0 && a.length === b.length) {
    console.log(`identical: ${a.length} checksums, last ${a[a.length - 1]}`);
  } else {
    console.log(`DIFFER from checksum ${first}:\n  a: ${a[first]}\n  b: ${b[first]}`);
    Deno.exitCode = 1;
  }
}

if (import.meta.main) {
  const flags = parse(Deno.args);
  if (flags.pair) await pair(Deno.args);
  else await trainRun(flags);
}
