/**
 * The wasm backend's linear memory and its allocator. One `WebAssembly.Memory` holds every
 * buffer; blocks are 64-byte aligned and come from free lists by size class (multiples of 64
 * bytes up to 1 KiB, then eight classes per power of two), so a training loop that allocates the
 * same shapes step after step reuses the same blocks. Memory only grows (wasm cannot shrink it);
 * a guard zone at its end lets kernels read a little past their inputs without bounds checks. A
 * shared memory grows for every thread at once; views here are recreated when its buffer changes.
 * @module
 */
import { config } from "../../core/config.ts";
import { AdjointError } from "../../core/errors.ts";

const PAGE = 65536;
const ALIGN = 64;
/** Bytes kept free past the last block: kernels may over-read inputs by up to 128 bytes. */
const GUARD = 256;
/** What `config.poisonMemory` fills blocks with: NaN in every float lane, -1 in int32. */
const POISON = 0xff;
/** 4 GiB: the most a 32-bit memory can address (and the maximum modules declare for it). */
export const MAX_PAGES = 65536;

/** Rounds a request up to its size class. */
export function sizeClass(bytes: number): number {
  if (bytes <= 1024) return Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
  const step = 2 ** (Math.floor(Math.log2(bytes)) - 3);
  return Math.ceil(bytes / step) * step;
}

/** A block of linear memory shared by the buffers that view it (e.g. an array and its reshape). */
export class Block {
  /** Number of live buffers viewing this block. */
  refs = 1;
  /** A block at byte offset `ptr` of class size `bytes`. */
  constructor(readonly ptr: number, readonly bytes: number) {}
}

/** The backend's buffer handle: one per array, viewing a (possibly shared) block. */
export class WasmBuffer {
  #disposed = false;
  /** A new handle on `block`. */
  constructor(readonly block: Block) {}
  /** Byte offset of the data in linear memory. */
  get ptr(): number {
    return this.block.ptr;
  }
  /** Whether `release` has been called. */
  get disposed(): boolean {
    return this.#disposed;
  }
  /** Marks the handle released; returns whether this was its first release. */
  release(): boolean {
    if (this.#disposed) return false;
    this.#disposed = true;
    return true;
  }
}

/** Usage counters, for tests and diagnostics. */
export interface MemoryStats {
  /** Bytes of linear memory. */
  memoryBytes: number;
  /** Bytes in live blocks. */
  liveBytes: number;
  /** Number of live blocks. */
  liveBlocks: number;
  /** Bytes in blocks waiting on free lists. */
  freeBytes: number;
  /** Most bytes in live blocks at once since the memory was made or its peak was last reset. */
  peakLiveBytes: number;
}

/** Linear memory plus a size-class allocator over it. */
export class LinearMemory {
  /** The memory the kernels run on. */
  readonly memory: WebAssembly.Memory;
  #top: number;
  #free = new Map<number, number[]>();
  #liveBytes = 0;
  #liveBlocks = 0;
  #freeBytes = 0;
  #peakLiveBytes = 0;
  #buffer: ArrayBufferLike;
  #u8!: Uint8Array;
  #i32!: Int32Array;
  #f32!: Float32Array;
  #f64!: Float64Array;

  /**
   * Memory whose allocations start at byte `base` (past the module's static data); `shared`
   * makes it a shared memory that worker threads can run kernels on.
   */
  constructor(base: number, readonly shared: boolean, initialPages = 256) {
    this.memory = LinearMemory.create(initialPages, shared);
    this.#top = Math.ceil(base / ALIGN) * ALIGN;
    this.#buffer = this.memory.buffer;
    this.#makeViews();
  }

  #makeViews(): void {
    this.#buffer = this.memory.buffer;
    this.#u8 = new Uint8Array(this.#buffer);
    this.#i32 = new Int32Array(this.#buffer);
    this.#f32 = new Float32Array(this.#buffer);
    this.#f64 = new Float64Array(this.#buffer);
  }

  /** A memory of `pages` pages that can grow to 4 GiB, shared between threads or not. */
  static create(pages: number, shared: boolean): WebAssembly.Memory {
    return new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES, shared });
  }

  #fresh(): void {
    if (this.memory.buffer !== this.#buffer) this.#makeViews();
  }

  /** Byte view of the whole memory (recreated after growth). */
  get u8(): Uint8Array {
    this.#fresh();
    return this.#u8;
  }
  /** int32 view of the whole memory. */
  get i32(): Int32Array {
    this.#fresh();
    return this.#i32;
  }
  /** float32 view of the whole memory. */
  get f32(): Float32Array {
    this.#fresh();
    return this.#f32;
  }
  /** float64 view of the whole memory. */
  get f64(): Float64Array {
    this.#fresh();
    return this.#f64;
  }

  /**
   * Allocates a block of at least `bytes` bytes (contents undefined: NaN bytes when
   * `config.poisonMemory` is on, unless `poison` is false).
   */
  alloc(bytes: number, poison: boolean = config.poisonMemory): Block {
    const size = sizeClass(bytes);
    const list = this.#free.get(size);
    let ptr = list?.pop();
    if (ptr === undefined) {
      ptr = this.#top;
      this.#ensure(ptr + size + GUARD);
      this.#top = ptr + size;
    } else {
      this.#freeBytes -= size;
    }
    this.#liveBytes += size;
    this.#peakLiveBytes = Math.max(this.#peakLiveBytes, this.#liveBytes);
    this.#liveBlocks++;
    if (poison) this.u8.fill(POISON, ptr, ptr + size);
    return new Block(ptr, size);
  }

  /**
   * Drops one reference to `block`, returning it to its free list at the last one (filled with
   * NaN bytes when `config.poisonMemory` is on, so a read after the release shows).
   */
  release(block: Block): void {
    if (--block.refs > 0) return;
    if (config.poisonMemory) this.u8.fill(POISON, block.ptr, block.ptr + block.bytes);
    let list = this.#free.get(block.bytes);
    if (!list) this.#free.set(block.bytes, list = []);
    list.push(block.ptr);
    this.#liveBytes -= block.bytes;
    this.#liveBlocks--;
    this.#freeBytes += block.bytes;
  }

  #ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const needPages = Math.ceil((end - have) / PAGE);
    const havePages = have / PAGE;
    // Grow geometrically so that a growing workload does not grow page by page.
    const pages = Math.min(Math.max(needPages, Math.ceil(havePages / 4)), MAX_PAGES - havePages);
    if (pages < needPages) {
      throw new AdjointError(
        "wasm backend",
        `out of memory: ${end} bytes needed, but a 32-bit WebAssembly memory holds at most 4 GiB ` +
          `(${this.#liveBytes} bytes are held by live arrays; dispose arrays you no longer need)`,
      );
    }
    this.memory.grow(pages);
  }

  /** Current usage. */
  stats(): MemoryStats {
    return {
      memoryBytes: this.memory.buffer.byteLength,
      liveBytes: this.#liveBytes,
      liveBlocks: this.#liveBlocks,
      freeBytes: this.#freeBytes,
      peakLiveBytes: this.#peakLiveBytes,
    };
  }

  /** Starts a new peak at the bytes live now. */
  resetPeak(): void {
    this.#peakLiveBytes = this.#liveBytes;
  }
}
