/**
 * Training is bit-reproducible for a given thread count: each step of the MNIST demo's jitted
 * convnet step (dropout, random shifts, SGD with momentum, donated state) is run twice, first on
 * copies of the state and batch, with the thread pool restarted, memory held and freed (so
 * buffers land elsewhere) and unreferenced arrays left to the garbage collector in between; the
 * two results must agree in every bit. bench/determinism.ts runs the same check over thousands
 * of steps, under load and in pairs of processes.
 */
import assert from "node:assert/strict";
import "../kernels/wasm/backend.ts";
import { wasmRuntime } from "../kernels/wasm/runtime.ts";
import { threadsSupported } from "../kernels/wasm/threads.ts";
import {
  type Array,
  ConcreteArray,
  data,
  defaultBackendName,
  numpy as np,
  random,
  setDefaultBackend,
  setThreads,
  type Tree,
  tree,
} from "../mod.ts";
import {
  convnet,
  optimizerFor,
  parseArgs,
  type TrainState,
  trainStep,
} from "../examples/mnist_convnet.ts";

/** A copy of every array of `t` in buffers of its own. */
function copyTree<T extends Tree>(t: T): T {
  return tree.map((leaf) => {
    const c = (leaf as Array).concrete("copy");
    return ConcreteArray.fromHost(c.dataSync().slice(), c.shape, c.dtype, c.backend.name);
  }, t) as T;
}

/** The bytes of every leaf of `t`. */
function bytesOf(t: Tree): Uint8Array[] {
  return (tree.leaves(t) as Array[]).map((leaf) => {
    const d = leaf.concrete("bytes").dataSync();
    return new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice();
  });
}

Deno.test({
  name: "a convnet training step replayed after pool restarts and memory churn gives the same bits",
  ignore: !threadsSupported(),
  fn: async () => {
    const before = defaultBackendName();
    setDefaultBackend("wasm");
    setThreads(2);
    const rt = wasmRuntime();
    const held: ReturnType<typeof rt.heap.alloc>[] = [];
    try {
      const set = await data.mnistSplit("train", { limit: 384, standardize: true });
      const options = parseArgs([])!;
      const net = convnet();
      const [, params] = net.init(random.key(1), [-1, 1, 28, 28]);
      const optimizer = optimizerFor(options, 6);
      const step = trainStep(net, optimizer, options.shift);
      let state: TrainState = { params, opt: optimizer.init(params), key: random.key(2) };
      const order = random.permutation(random.key(3), 384);
      let n = 0;
      for await (
        const batch of data.batches({ x: set.images, y: set.labels }, {
          batchSize: 64,
          order,
        })
      ) {
        n++;
        const twin = bytesOf(step(copyTree(state), copyTree(batch)) as Tree);
        rt.pool?.shutdown();
        held.push(rt.heap.alloc(4096 * n));
        if (n % 2 === 0) rt.heap.release(held.shift()!);
        for (let i = 0; i < 10; i++) np.ones([100 * n + i]);
        const [next, metrics] = step(state, batch) as [TrainState, Tree];
        const got = bytesOf([next, metrics] as unknown as Tree);
        got.forEach((b, i) => assert.deepEqual(b, twin[i], `step ${n}: output leaf ${i} differs`));
        state = next;
      }
      assert.equal(n, 6);
    } finally {
      for (const block of held) rt.heap.release(block);
      setThreads("auto");
      rt.pool?.shutdown();
      setDefaultBackend(before);
    }
  },
});
