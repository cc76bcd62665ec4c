import assert from "node:assert/strict";
import { ShapedArray } from "../core/aval.ts";
import { config } from "../core/config.ts";
import { AdjointError } from "../core/errors.ts";
import { refBackend } from "../kernels/ref/backend.ts";
import { wasmBackend } from "../kernels/wasm/backend.ts";
import { LinearMemory } from "../kernels/wasm/memory.ts";

/** Runs `body` with `config.poisonMemory` set to `on`, restoring it afterwards. */
function withPoison(on: boolean, body: () => void): void {
  const before = config.update("poisonMemory", on);
  try {
    body();
  } finally {
    config.update("poisonMemory", before);
  }
}

Deno.test("poisonMemory fills blocks with NaN bytes when allocated and when freed", () => {
  const heap = new LinearMemory(1024, false, 1);
  const bytes = (ptr: number, n: number) => [...heap.u8.subarray(ptr, ptr + n)];
  withPoison(true, () => {
    const a = heap.alloc(100);
    assert.ok(bytes(a.ptr, a.bytes).every((b) => b === 0xff), "a new block is poisoned");
    assert.ok(Number.isNaN(heap.f32[a.ptr / 4]));
    heap.u8.fill(7, a.ptr, a.ptr + a.bytes);
    heap.release(a);
    assert.ok(bytes(a.ptr, a.bytes).every((b) => b === 0xff), "a freed block is poisoned");
    const unpoisoned = heap.alloc(100, false);
    assert.equal(unpoisoned.ptr, a.ptr, "the freed block is reused");
    assert.ok(bytes(unpoisoned.ptr, 4).every((b) => b === 0xff), "alloc(_, false) leaves it as is");
  });
  withPoison(false, () => {
    const b = heap.alloc(200);
    assert.ok(bytes(b.ptr, b.bytes).every((x) => x === 0), "fresh memory stays zero when off");
    heap.u8.fill(7, b.ptr, b.ptr + b.bytes);
    heap.release(b);
    assert.ok(bytes(b.ptr, b.bytes).every((x) => x === 7), "and freed blocks keep their bytes");
  });
});

Deno.test("backends refuse host data shorter or longer than the array", () => {
  const aval = new ShapedArray([2, 3], "float32");
  for (const backend of [refBackend, wasmBackend]) {
    for (const n of [5, 7]) {
      assert.throws(
        () => backend.fromHost(new Float32Array(n), aval),
        (e: unknown) =>
          e instanceof AdjointError &&
          e.message.includes(`${backend.name} backend`) &&
          e.message.includes(`${n} elements`) && e.message.includes("expected exactly 6"),
      );
    }
    assert.doesNotThrow(() => backend.fromHost(new Float32Array(6), aval));
  }
});
