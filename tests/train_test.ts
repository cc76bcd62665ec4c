import assert from "node:assert/strict";
import { jit, numpy as np, valueAndGrad } from "../mod.ts";
import { batches } from "../data/batches.ts";
import { formatDuration, progress } from "../train/progress.ts";
import { historyCharts, plotSvg } from "../train/plot_svg.ts";
import {
  decodeCheckpoint,
  decodeSafetensors,
  encodeCheckpoint,
  encodeSafetensors,
  leafPaths,
  loadCheckpoint,
  saveCheckpoint,
} from "../train/checkpoint.ts";
import { earlyStopping } from "../train/early_stopping.ts";
import { type Callback, fit } from "../train/loop.ts";
import { flatten, structure, type Tree } from "../core/tree.ts";
import { assertClose } from "./util/assert_close.ts";

const canWrite = Deno.permissions.querySync({ name: "write" }).state === "granted";

/** A progress display on a fake clock that records what it writes. */
function recorded(isTerminal: boolean, total?: number) {
  let t = 0;
  const out: string[] = [];
  const bar = progress({
    total,
    label: "epoch 1/2",
    unit: "batch",
    isTerminal,
    write: (s) => out.push(s),
    now: () => t,
    redrawIntervalMs: 100,
    plainIntervalMs: 1000,
  });
  return { bar, out, advance: (ms: number) => (t += ms) };
}

Deno.test("progress", async (t) => {
  await t.step("redraws one line in place on a terminal, at most every 100 ms", () => {
    const { bar, out, advance } = recorded(true, 10);
    advance(50);
    bar.update(1, { loss: 2.5 });
    assert.equal(out.length, 0, "too soon to redraw");
    advance(150);
    bar.update(4, { loss: 1.25, accuracy: 0.5 });
    assert.equal(out.length, 1);
    assert.equal(
      out[0],
      "\repoch 1/2  [########............]  4/10  20.0 batch/s  loss 1.2500  accuracy 50.00%  " +
        "ETA 0.3s\x1b[K",
    );
    advance(300);
    bar.done({ valLoss: 0.0001 });
    assert.equal(out.length, 2);
    assert.equal(
      out[1],
      "\repoch 1/2  [########............]  4/10  in 0.5s (8.0 batch/s)  loss 1.2500  " +
        "accuracy 50.00%  valLoss 1.000e-4\x1b[K\n",
    );
  });

  await t.step("writes plain lines at a throttled rate when not on a terminal", () => {
    const { bar, out, advance } = recorded(false, 1000);
    for (let i = 1; i <= 1000; i++) {
      advance(10);
      bar.update(i, { loss: 1 / i });
    }
    assert.equal(out.length, 10, "one line per 1000 ms of 10 s");
    assert.ok(out.every((l) => l.endsWith("\n") && !l.includes("\r") && !l.includes("[#")));
    assert.equal(out[0], "epoch 1/2  100/1000  100.0 batch/s  loss 0.0100  ETA 9.0s\n");
    bar.done();
    assert.equal(out[10], "epoch 1/2  1000/1000  in 10.0s (100.0 batch/s)  loss 0.0010\n");
  });

  await t.step("without a total it counts up; slow steps show seconds per step", () => {
    const { bar, out, advance } = recorded(false);
    advance(2500);
    bar.update(1);
    assert.equal(out[0], "epoch 1/2  1  2.50 s/batch  2.5s elapsed\n");
  });

  await t.step("formatDuration", () => {
    assert.equal(formatDuration(4.25), "4.3s");
    assert.equal(formatDuration(65), "1:05");
    assert.equal(formatDuration(3723), "1:02:03");
    assert.equal(formatDuration(Infinity), "?");
  });
});

function attr(tag: string, name: string): number {
  return Number(tag.match(new RegExp(`${name}="([-0-9.]+)"`))![1]);
}

Deno.test("plotSvg", async (t) => {
  await t.step("draws each series as a path inside the plot frame, with a legend", () => {
    const svg = plotSvg({
      title: "loss <train & test>",
      xLabel: "epoch",
      yLabel: "loss",
      series: [{ name: "train", y: [1, 0.5, 0.25] }, { name: "test", y: [1.2, 0.8, 0.9] }],
    });
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="560" height="380"/);
    assert.ok(svg.trimEnd().endsWith("</svg>"));
    assert.match(svg, />loss &lt;train &amp; test&gt;</);
    const paths = [...svg.matchAll(/<path d="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(paths.length, 2);
    const frame =
      svg.match(/<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+" fill="none"/)![0];
    const [fx, fy, fw, fh] = ["x", "y", "width", "height"].map((n) => attr(frame, n));
    for (const d of paths) {
      const pts = [...d.matchAll(/[ML]([-\d.]+) ([-\d.]+)/g)].map((
        m,
      ) => [Number(m[1]), Number(m[2])]);
      assert.equal(pts.length, 3);
      for (const [x, y] of pts) assert.ok(x > fx && x < fx + fw && y > fy && y < fy + fh);
      assert.ok(pts[0][0] < pts[1][0] && pts[1][0] < pts[2][0], "x increases left to right");
    }
    // Larger values are drawn higher: train falls from 1 to 0.25.
    const train = [...paths[0].matchAll(/[ML][-\d.]+ ([-\d.]+)/g)].map((m) => Number(m[1]));
    assert.ok(train[0] < train[1] && train[1] < train[2]);
    assert.match(svg, />train<\/text>/);
    assert.match(svg, />test<\/text>/);
  });

  await t.step("ticks are round numbers that cover the data", () => {
    const svg = plotSvg({ series: [{ name: "a", x: [0, 10], y: [0.013, 0.87] }] });
    const yTicks = [...svg.matchAll(/text-anchor="end" font-size="12" fill="#333">([^<]+)</g)].map((
      m,
    ) => m[1]);
    assert.deepEqual(yTicks, ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
    const xTicks = [...svg.matchAll(/text-anchor="middle" font-size="12" fill="#333">([^<]+)</g)]
      .map((m) => m[1]);
    assert.deepEqual(xTicks, ["0", "2", "4", "6", "8", "10"]);
  });

  await t.step("a log axis has decade ticks and skips values <= 0", () => {
    const svg = plotSvg({ logY: true, series: [{ name: "a", y: [5, 0.2, 0, 0.004] }] });
    const yTicks = [...svg.matchAll(/text-anchor="end" font-size="12" fill="#333">([^<]+)</g)].map((
      m,
    ) => m[1]);
    assert.deepEqual(yTicks, ["0.001", "0.01", "0.1", "1", "10"]);
    const d = svg.match(/<path d="([^"]+)"/)![1];
    assert.equal(d.match(/M/g)!.length, 2, "the zero breaks the line in two");
  });

  await t.step("the i-th series of each panel gets the i-th colour; empty charts say so", () => {
    const svg = plotSvg([
      { series: [{ name: "loss", y: [1, 2] }, { name: "valLoss", y: [2, 3] }] },
      { series: [{ name: "accuracy", y: [3, 1] }, { name: "other", y: [1, 1], color: "#123456" }] },
      { series: [] },
    ]);
    const strokes = [...svg.matchAll(/<path d="[^"]+" fill="none" stroke="([^"]+)"/g)].map((m) =>
      m[1]
    );
    assert.equal(strokes.length, 4);
    assert.equal(strokes[0], strokes[2], "first series of both panels");
    assert.notEqual(strokes[0], strokes[1]);
    assert.equal(strokes[3], "#123456");
    assert.match(svg, /width="1680"/);
    assert.match(svg, />no data</);
  });

  await t.step("historyCharts groups losses and accuracies by epoch", () => {
    const charts = historyCharts([
      { epoch: 1, seconds: 3, loss: 1, accuracy: 0.5, valLoss: 1.1, valAccuracy: 0.4, lr: 0.1 },
      { epoch: 2, seconds: 3, loss: 0.5, accuracy: 0.7, valLoss: 0.9, valAccuracy: 0.6, lr: 0.05 },
    ]);
    assert.deepEqual(charts.map((c) => c.title), ["loss", "accuracy", "lr"]);
    assert.deepEqual(charts[0].series.map((s) => s.name), ["loss", "valLoss"]);
    assert.deepEqual(charts[1].series.map((s) => Array.from(s.y)), [[0.5, 0.7], [0.4, 0.6]]);
    assert.deepEqual(Array.from(charts[2].series[0].x!), [1, 2]);
  });
});

/** Parses a safetensors header independently of the decoder. */
function header(bytes: Uint8Array): [Record<string, any>, number] {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return [JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))), 8 + n];
}

/** Builds a safetensors file by hand: a header and raw little-endian data. */
function handmade(head: Record<string, unknown>, data: number[]): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(head));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const params = {
  layers: [
    { w: np.array([[1, 2, 3], [4, 5, 6]], "float32"), b: np.array([0.5, -0.5, 0]) },
    { w: np.array([[1e-8], [2.5]], "float64"), b: null },
  ],
  step: np.array(7, "int32"),
  mask: np.array([true, false, true]),
};

function assertSameTree(a: Tree<np.Array>, b: Tree<np.Array>): void {
  const [la, da] = flatten(a), [lb, db] = flatten(b);
  assert.equal(String(da), String(db));
  la.forEach((x, i) => {
    assert.equal(x.dtype, lb[i].dtype);
    assert.deepEqual(x.shape, lb[i].shape);
    assert.deepEqual(x.toArray(), lb[i].toArray());
  });
}

Deno.test("checkpoints", async (t) => {
  await t.step("the file is safetensors: aligned JSON header, leaf paths as names", async () => {
    const bytes = await encodeCheckpoint(params, { metadata: { epoch: "3" } });
    const [head, dataStart] = header(bytes);
    assert.equal(dataStart % 8, 0, "data starts 8-byte aligned");
    assert.deepEqual(Object.keys(head).sort(), [
      "__metadata__",
      "layers.0.b",
      "layers.0.w",
      "layers.1.w",
      "mask",
      "step",
    ]);
    assert.deepEqual(head["layers.0.w"], {
      dtype: "F32",
      shape: [2, 3],
      data_offsets: head["layers.0.w"].data_offsets,
    });
    assert.equal(head["layers.1.w"].dtype, "F64");
    assert.equal(head.step.dtype, "I32");
    assert.deepEqual(head.step.shape, []);
    assert.equal(head.mask.dtype, "BOOL");
    assert.equal(head.__metadata__.epoch, "3");
    const [b, e] = head["layers.0.w"].data_offsets;
    assert.equal(e - b, 24);
    const w = new DataView(bytes.buffer, dataStart + b, 24);
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((i) => w.getFloat32(4 * i, true)), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(leafPaths(structure(params)), [
      "layers.0.b",
      "layers.0.w",
      "layers.1.w",
      "mask",
      "step",
    ]);
  });

  await t.step("round-trips any pytree of arrays, structure included", async () => {
    const back = decodeCheckpoint(await encodeCheckpoint(params));
    assertSameTree(back as Tree<np.Array>, params);
    const list = [np.array([1, 2]), [np.zeros([0, 3]), { "a.b": np.ones([2]) }]];
    assertSameTree(decodeCheckpoint(await encodeCheckpoint(list)) as Tree<np.Array>, list);
  });

  await t.step("like: checks structure, shapes and dtypes against a template", async () => {
    const bytes = await encodeCheckpoint(params);
    assertSameTree(decodeCheckpoint(bytes, { like: params }) as Tree<np.Array>, params);
    const other = { ...params, step: np.array(7, "float32") };
    assert.throws(
      () => decodeCheckpoint(bytes, { like: other, source: "net.safetensors" }),
      /net\.safetensors: "step" is i32\[\] in the checkpoint, expected f32\[\]/,
    );
    const fewer = { ...params, mask: undefined };
    assert.throws(
      () => decodeCheckpoint(bytes, { like: fewer }),
      /tree differs from the expected one at params\.mask/,
    );
  });

  await t.step("reads files from other tools: dotted names, F16, BF16, I64, U8", () => {
    const bytes = handmade({
      "enc.0.h": { dtype: "F16", shape: [2], data_offsets: [0, 4] },
      "enc.1.bf": { dtype: "BF16", shape: [1], data_offsets: [4, 6] },
      "count": { dtype: "I64", shape: [], data_offsets: [6, 14] },
      "pixels": { dtype: "U8", shape: [2], data_offsets: [14, 16] },
    }, [
      0x00,
      0x3c,
      0x00,
      0xc0,
      0xc0,
      0x3f,
      0xfe,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      200,
      7,
    ]);
    const tree = decodeCheckpoint(bytes) as any;
    assert.deepEqual(tree.enc[0].h.toArray(), [1, -2]);
    assert.equal(tree.enc[0].h.dtype, "float32");
    assert.deepEqual(tree.enc[1].bf.toArray(), [1.5]);
    assert.equal(tree.count.item(), -2);
    assert.equal(tree.count.dtype, "int32");
    assert.deepEqual(tree.pixels.toArray(), [200, 7]);
  });

  await t.step("errors on corrupt files say what was expected and found", async () => {
    const good = await encodeSafetensors({ a: np.array([1, 2, 3]) });
    assert.throws(
      () => decodeSafetensors(good.subarray(0, 5), "x.st"),
      /safetensors: x\.st: expected an 8-byte header length, but the file has 5 bytes/,
    );
    assert.throws(
      () => decodeSafetensors(good.subarray(0, 20), "x.st"),
      /x\.st: the header length field says \d+ bytes of JSON, but the file has 12 bytes after it/,
    );
    assert.throws(
      () => decodeSafetensors(good.subarray(0, good.length - 4), "x.st"),
      /x\.st: the header describes 12 bytes of tensor data, but the file has 8 \(truncated\)/,
    );
    const entry = (e: unknown) => handmade({ t: e }, [0, 0, 0, 0]);
    assert.throws(
      () => decodeSafetensors(entry({ dtype: "F8", shape: [1], data_offsets: [0, 4] })),
      /tensor "t": unknown dtype "F8"; expected one of F64, F32/,
    );
    assert.throws(
      () => decodeSafetensors(entry({ dtype: "F32", shape: [2], data_offsets: [0, 4] })),
      /tensor "t": F32\[2\] needs 8 bytes, but data_offsets \[0, 4\] hold 4/,
    );
    assert.throws(
      () => decodeSafetensors(entry({ dtype: "F32", shape: "1", data_offsets: [0, 4] })),
      /shape must be a list of sizes, found "1"/,
    );
    assert.throws(
      () =>
        decodeSafetensors(handmade({
          a: { dtype: "U8", shape: [2], data_offsets: [0, 2] },
          b: { dtype: "U8", shape: [1], data_offsets: [3, 4] },
        }, [1, 2, 3, 4])),
      /tensor "b" starts at byte 3 of the data, expected 2: tensors must be stored back to back/,
    );
    const badJson = handmade({}, []);
    badJson[8] = 0x5b;
    assert.throws(() => decodeSafetensors(badJson), /header is not valid UTF-8 JSON/);
    assert.throws(
      () =>
        decodeSafetensors(
          handmade({ n: { dtype: "I64", shape: [], data_offsets: [0, 8] } }, [
            0,
            0,
            0,
            0,
            1,
            0,
            0,
            0,
          ]),
        ),
      /tensor "n" \(I64\): I64 value 4294967296 does not fit in int32/,
    );
    await assert.rejects(
      encodeCheckpoint({ a: np.array(1), lr: 0.1 as unknown as np.Array }),
      /leaves must be arrays, found number at "lr"/,
    );
  });

  await t.step({
    name: "saveCheckpoint writes a file that loadCheckpoint reads back",
    ignore: !canWrite,
    fn: async () => {
      const dir = await Deno.makeTempDir();
      try {
        const path = await saveCheckpoint(`${dir}/net.safetensors`, params);
        assert.equal(path, `${dir}/net.safetensors`);
        assertSameTree(await loadCheckpoint(path, { like: params }) as Tree<np.Array>, params);
        assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["net.safetensors"]);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });

  await t.step("loadCheckpoint names a missing file", async () => {
    await assert.rejects(
      loadCheckpoint("/nonexistent/net.safetensors"),
      /loadCheckpoint: \/nonexistent\/net\.safetensors: cannot read the file/,
    );
  });
});

/** Feeds a sequence of values to an early-stopping monitor; returns the epoch it stops at. */
function stopsAt(values: number[], options: Parameters<typeof earlyStopping>[0]): number | null {
  const stopper = earlyStopping(options);
  for (let i = 0; i < values.length; i++) {
    if (stopper.onEpochEnd({ epoch: i + 1, valLoss: values[i], valAccuracy: values[i] }, i + 1)) {
      return i + 1;
    }
  }
  return null;
}

Deno.test("earlyStopping", async (t) => {
  await t.step("stops after `patience` epochs without improvement", () => {
    assert.equal(stopsAt([3, 2, 2.5, 2.4, 1], { patience: 2 }), 4);
    assert.equal(stopsAt([3, 2, 2.5, 1.5, 2.6, 1], { patience: 2 }), null);
    assert.equal(stopsAt([3, 2, 2.5], { patience: 0 }), 3);
    assert.equal(stopsAt([3, 2, 1, 0.5], { patience: 0 }), null);
  });

  await t.step("minDelta: smaller changes do not count as improvements", () => {
    assert.equal(stopsAt([1, 0.995, 0.99, 0.985], { patience: 2, minDelta: 0.01 }), 3);
    assert.equal(stopsAt([1, 0.98, 0.96, 0.94], { patience: 2, minDelta: 0.01 }), null);
  });

  await t.step("mode: accuracy-like names are maximised", () => {
    assert.equal(stopsAt([0.5, 0.6, 0.55, 0.58], { monitor: "valAccuracy", patience: 2 }), 4);
    assert.equal(stopsAt([0.5, 0.6, 0.7], { monitor: "valAccuracy", patience: 0 }), null);
    assert.equal(stopsAt([0.5, 0.6, 0.7], { monitor: "valLoss", mode: "max", patience: 0 }), null);
  });

  await t.step("restoreBest returns the state of the best epoch", () => {
    const stopper = earlyStopping({ patience: 1, restoreBest: true });
    const losses = [0.9, 0.4, 0.6];
    losses.forEach((valLoss, i) => stopper.onEpochEnd({ epoch: i + 1, valLoss }, `state ${i + 1}`));
    assert.equal(stopper.best, 0.4);
    assert.equal(stopper.bestEpoch, 2);
    assert.equal(stopper.stoppedEpoch, 3);
    assert.equal(stopper.onTrainEnd("last"), "state 2");
    assert.equal(earlyStopping({ patience: 1 }).onTrainEnd("last"), "last");
  });

  await t.step("restoreBest keeps the best arrays when the step donates its state", () => {
    const step = jit((w: np.Array) => w.add(1), { donateArgnums: [0] });
    const stopper = earlyStopping({ patience: 5, restoreBest: true });
    let w = np.array([0, 10]);
    [0.5, 0.2, 0.3, 0.4].forEach((valLoss, i) => {
      w = step(w);
      stopper.onEpochEnd({ epoch: i + 1, valLoss }, { w });
    });
    assert.deepEqual((stopper.onTrainEnd({ w }) as { w: np.Array }).w.toArray(), [2, 12]);
  });

  await t.step("a missing metric is an error listing the available ones", () => {
    assert.throws(
      () =>
        earlyStopping({ monitor: "valLos" }).onEpochEnd({ epoch: 1, loss: 1, valLoss: 2 }, null),
      /the monitored metric "valLos" is not among the epoch's metrics \(epoch, loss, valLoss\)/,
    );
  });
});

Deno.test("fit", async (t) => {
  // Linear regression y = 3x - 1 by minibatch gradient descent.
  const n = 64;
  const xs = Array.from({ length: n }, (_, i) => i / n - 0.5);
  const data = { x: np.array(xs), y: np.array(xs.map((v) => 3 * v - 1)) };
  type State = { w: np.Array; b: np.Array };
  const loss = (s: State, x: np.Array, y: np.Array) =>
    np.mean(np.square(s.w.mul(x).add(s.b).sub(y)));
  const lossAndGrad = valueAndGrad(loss);
  const step = (s: State, batch: { x: np.Array; y: np.Array }): [State, { loss: np.Array }] => {
    const [value, g] = lossAndGrad(s, batch.x, batch.y) as [np.Array, State];
    return [{ w: s.w.sub(g.w.mul(0.5)), b: s.b.sub(g.b.mul(0.5)) }, { loss: value }];
  };

  await t.step("trains, records per-epoch means and evaluation metrics", async () => {
    const lines: string[] = [];
    const seen: number[] = [];
    const { state, history, stoppedEarly } = await fit({
      state: { w: np.array(0, "float32"), b: np.array(0, "float32") },
      epochs: 30,
      batches: () => batches(data, { batchSize: 16 }),
      step: (s, batch) => {
        seen.push(batch.x.shape[0]);
        return step(s, batch);
      },
      evaluate: (s) => ({ valLoss: loss(s, data.x, data.y), epochSquared: 1 }),
      progress: { isTerminal: false, write: (l) => lines.push(l) },
    });
    assert.equal(stoppedEarly, false);
    assert.equal(history.length, 30);
    assert.equal(seen.length, 30 * 4);
    assert.deepEqual(Object.keys(history[0]).sort(), [
      "epoch",
      "epochSquared",
      "loss",
      "seconds",
      "valLoss",
    ]);
    assert.ok(history[29].valLoss < 1e-3 * history[0].valLoss, `valLoss ${history[29].valLoss}`);
    assert.ok(
      history[0].loss > history[0].valLoss,
      "the first epoch's mean includes the early, worse steps",
    );
    assertClose(state.w, 3, { atol: 0.05 });
    assertClose(state.b, -1, { atol: 0.05 });
    assert.equal(lines.length, 30, "one summary line per epoch");
    assert.match(
      lines[0],
      /^epoch 1\/30 {2}4\/4 {2}in [\d.]+s .* loss [\d.]+ {2}valLoss [\d.]+ {2}epochSquared 1\.0000\n$/,
    );
  });

  await t.step("callbacks can stop training and replace the final state", async () => {
    const calls: string[] = [];
    const stopAtThree: Callback<number> = {
      onEpochEnd: (log) => {
        calls.push(`end ${log.epoch}`);
        return log.epoch === 3;
      },
      onTrainEnd: (s) => {
        calls.push(`train end ${s}`);
        return -s;
      },
    };
    const result = await fit({
      state: 0,
      epochs: 10,
      batches: () => [1, 2],
      step: (s: number, b: number) => [s + b, { loss: b }],
      callbacks: [stopAtThree, earlyStopping({ monitor: "loss", patience: 5 })],
      progress: false,
    });
    assert.deepEqual(calls, ["end 1", "end 2", "end 3", "train end 9"]);
    assert.equal(result.state, -9);
    assert.equal(result.stoppedEarly, true);
    assert.deepEqual(result.history.map((h) => h.loss), [1.5, 1.5, 1.5]);
  });

  await t.step("early stopping with restoreBest through fit", async () => {
    const valLosses = [5, 3, 4, 4.5, 4.2, 1];
    const result = await fit({
      state: 0,
      epochs: valLosses.length,
      batches: () => [1],
      step: (s: number) => [s + 1, {}],
      evaluate: (_, epoch) => ({ valLoss: valLosses[epoch - 1] }),
      callbacks: [earlyStopping({ patience: 2, restoreBest: true })],
      progress: false,
    });
    assert.equal(result.history.length, 4);
    assert.equal(result.state, 2);
  });

  await t.step(
    "a diverging loss stops training with the epoch, the step and what to try",
    async () => {
      const diverging = (
        s: State,
        batch: { x: np.Array; y: np.Array },
      ): [State, { loss: np.Array }] => {
        const [value, g] = lossAndGrad(s, batch.x, batch.y) as [np.Array, State];
        return [{ w: s.w.sub(g.w.mul(1e5)), b: s.b.sub(g.b.mul(1e5)) }, { loss: value }];
      };
      let steps = 0;
      await assert.rejects(
        fit({
          state: { w: np.array(0, "float32"), b: np.array(0, "float32") },
          epochs: 30,
          batches: () => batches(data, { batchSize: 16 }),
          step: (s, batch) => {
            steps++;
            return diverging(s, batch);
          },
          progress: false,
        }),
        (e: Error) => {
          const m = e.message.match(
            /^fit: training diverged: metric "loss" is (NaN|Infinity) at epoch (\d+), step (\d+)\. Try a lower learning rate or gradient clipping \(optim\.clipByGlobalNorm\), or turn on config\.debugNans/,
          );
          assert.ok(m, e.message);
          assert.equal((Number(m[2]) - 1) * 4 + Number(m[3]), steps, "the failing step is named");
          return true;
        },
      );
      assert.ok(steps < 30 * 4, "training stopped early");
    },
  );

  await t.step("metrics must be numbers or scalar arrays", async () => {
    await assert.rejects(
      fit({
        state: 0,
        epochs: 1,
        batches: () => [1],
        step: (s: number) => [s, { loss: np.zeros([2]) }],
        progress: false,
      }),
      /fit: metric "loss" must be a number or a scalar array, got shape \[2\]/,
    );
  });
});
