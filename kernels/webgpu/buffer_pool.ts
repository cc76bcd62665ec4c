/**
 * Reuse of GPU buffers by size class. Creating a `GPUBuffer` is far slower than a kernel on a
 * small array, and a training step allocates the same sizes every iteration, so released buffers
 * wait in a free list for the next request of their class instead of being destroyed.
 *
 * Size classes are multiples of 256 bytes up to 4 KiB, then four steps per power of two
 * (2^k, 1.25 * 2^k, 1.5 * 2^k, 1.75 * 2^k), so a reused buffer wastes under 25%.
 * @module
 */

/** The size class (in bytes) that serves a request of `bytes`. */
export function sizeClass(bytes: number): number {
  const b = Math.max(bytes, 4);
  if (b <= 4096) return Math.ceil(b / 256) * 256;
  const quarter = 2 ** (Math.floor(Math.log2(b)) - 2);
  return Math.ceil(b / quarter) * quarter;
}

/** A free list of buffers of one usage, keyed by size class, with a cap on idle bytes. */
export class BufferPool {
  #free = new Map<number, GPUBuffer[]>();
  #idleBytes = 0;
  #doomed: GPUBuffer[] = [];
  /** Buffers created so far (a steady-state loop should stop creating them). */
  created = 0;

  /** A pool of buffers created with `usage`, keeping at most `maxIdleBytes` idle. */
  constructor(
    readonly device: GPUDevice,
    readonly usage: GPUBufferUsageFlags,
    readonly maxIdleBytes: number,
  ) {}

  /** A buffer of at least `bytes` bytes: a released one of the same class, or a new one. */
  acquire(bytes: number): GPUBuffer {
    const size = sizeClass(bytes);
    const reused = this.#free.get(size)?.pop();
    if (reused) {
      this.#idleBytes -= size;
      return reused;
    }
    this.created++;
    return this.device.createBuffer({ size, usage: this.usage });
  }

  /**
   * Takes a buffer back. Past the idle cap it is destroyed, but only at the next `collect()`:
   * commands recorded and not yet submitted may still use it.
   */
  release(buf: GPUBuffer): void {
    if (this.#idleBytes + buf.size > this.maxIdleBytes) {
      this.#doomed.push(buf);
      return;
    }
    const list = this.#free.get(buf.size);
    if (list) list.push(buf);
    else this.#free.set(buf.size, [buf]);
    this.#idleBytes += buf.size;
  }

  /** Destroys the buffers released past the cap; call after submitting pending commands. */
  collect(): void {
    for (const b of this.#doomed) b.destroy();
    this.#doomed = [];
  }

  /** Bytes held in free lists. */
  get idleBytes(): number {
    return this.#idleBytes;
  }
}
