/**
 * Two builds of Adjoint in one process, interleaved: for a change to lowering, codegen or
 * kernels, each case is jitted on wasm (one kernel thread) by both builds, checked against the
 * ref backend, then timed in alternating rounds (old, new, old, new ...) so that load from other
 * processes hits both alike. Prints each build's median and the ratio new / old per case.
 *
 *   git worktree add --detach /tmp/old <old commit>
 *   deno run -A bench/builds.ts /tmp/old . [--rounds=15]
 *
 * The cases are the fused chains the kernel IR renders: a gelu layer, the gradient of a tanh
 * MLP, a log-sum-exp (softmax) and its gradient, an exp and sigmoid chain, sin(3x) cos(x),
 * log(1 + exp(x)), a float64 tanh of log(1 + exp(x)), a float64 chain of sin, cos, erf, power
 * and arctan2, a masked (compare, select, int32) chain,
 * an LSTM cell's gates (slices of one product) and their gradient (four pads joined into a
 * concatenate), the gradient of a smoothness penalty on rows (two pads of shifted rows, read in
 * place) and along them (pads of the innermost axis), row and column reductions, and
 * random.uniform and random.normal (threefry2x32 and the bits' conversion to floats). With
 * `--eager`, they are instead single eager primitives (the prebuilt kernels: math (exp, log,
 * tanh and sigmoid at float32 and float64; sin, cos, power and arctan2 at float32 and float64;
 * float64 erf and erf_inv; float64 sqrt, abs), add, mul, compare, select and conversions at
 * float32 and float64, xor, shifts and threefry2x32 on int32 words, on contiguous and broadcast
 * operands, 1e3 and 1e6 elements), reductions, strided copies, and take and scatter_add
 * (embedding rows and their gradient, scalars, along a middle axis, small), each timed from its
 * call to its result's release, without a copy to the host;
 * `--filter=REGEXP` keeps the cases whose name matches.
 *
 *   deno run -A bench/builds.ts /tmp/old . --eager --rounds=41
 * @module
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * A build's library, and its threefry2x32, take and scatter-add primitives (not exported by the
 * library).
 */
type Lib = typeof import("../mod.ts") & {
  threefry2x32: typeof import("../core/primitives/threefry.ts").threefry2x32;
  take: typeof import("../core/primitives/indexing.ts").take;
  scatterAdd: typeof import("../core/primitives/indexing.ts").scatterAdd;
};
type Tensor = ReturnType<Lib["numpy"]["array"]>;
type Fn = (...xs: Tensor[]) => Tensor | Tensor[];

/** A case: its function and the shapes of its float32 inputs (filled in [-1, 1]). */
interface Case {
  name: string;
  shapes: number[][];
  f: (lib: Lib) => Fn;
}

const gelu = (lib: Lib, x: Tensor) => {
  const cube = x.mul(x).mul(x).mul(0.044715);
  return x.mul(0.5).mul(lib.numpy.tanh(x.add(cube).mul(0.7978846)).add(1));
};

const CASES: Case[] = [
  {
    name: "gelu layer [256,512] @ [512,512]",
    shapes: [[256, 512], [512, 512], [512]],
    f: (lib) => (x, w, b) => gelu(lib, lib.numpy.matmul(x, w).add(b)),
  },
  {
    name: "grad of a tanh MLP 784-256-10, batch 128",
    shapes: [[128, 784], [784, 256], [256], [256, 10]],
    f: (lib) => {
      const np = lib.numpy;
      const loss = (w1: Tensor, b1: Tensor, w2: Tensor, x: Tensor) =>
        np.mean(np.matmul(np.tanh(np.matmul(x, w1).add(b1)), w2).mul(0.5).square());
      return (x, w1, b1, w2) => lib.grad(loss, { argnums: [0, 1, 2] })(w1, b1, w2, x) as Tensor[];
    },
  },
  {
    name: "log-sum-exp of rows and its grad [512,1000]",
    shapes: [[512, 1000]],
    f: (lib) => {
      const np = lib.numpy;
      const loss = (z: Tensor) => {
        // The max shifts the sum without changing it: as JAX's logsumexp, not differentiated.
        const m = lib.stopGradient(np.max(z, -1, true));
        const lse = np.log(np.sum(np.exp(z.sub(m)), -1, true)).add(m);
        return np.mean(lse);
      };
      return (z) => lib.valueAndGrad(loss)(z) as unknown as Tensor[];
    },
  },
  {
    name: "exp and sigmoid chain, 1M",
    shapes: [[1 << 20]],
    f: (lib) => (x) => lib.numpy.sigmoid(lib.numpy.exp(x).mul(x).sub(0.5)),
  },
  {
    name: "sin(3x) cos(x) chain, 1M",
    shapes: [[1 << 20]],
    f: (lib) => (x) => lib.numpy.sin(x.mul(3)).mul(lib.numpy.cos(x)),
  },
  {
    name: "log(1 + exp(x)) chain, 1M",
    shapes: [[1 << 20]],
    f: (lib) => (x) => lib.numpy.log(lib.numpy.exp(x.mul(3)).add(1)),
  },
  {
    name: "float64 tanh(log(1 + exp(3x))) chain, 1M",
    shapes: [[1 << 20]],
    f: (lib) => (x) => {
      const np = lib.numpy;
      return np.tanh(np.log(np.exp(x.astype("float64").mul(3)).add(1)));
    },
  },
  {
    name: "float64 sin, cos, erf, power, arctan2 chain, 1M",
    shapes: [[1 << 20], [1 << 20]],
    f: (lib) => (x, y) => {
      const np = lib.numpy;
      const [a, b] = [x.astype("float64"), y.astype("float64")];
      const trig = np.sin(a.mul(3)).mul(np.cos(b));
      const special = np.erf(a.mul(2)).add(np.power(np.abs(b).add(0.5), a.mul(3)));
      return trig.add(special).add(np.arctan2(a, b));
    },
  },
  {
    name: "masked chain (compare, select, int32), 1M",
    shapes: [[1 << 20]],
    f: (lib) => (x) => {
      const np = lib.numpy;
      const k = np.floor(x.mul(8)).astype("int32");
      const leaky = np.where(x.gt(0), x, x.mul(0.1));
      return leaky.add(np.where(k.mul(k).gt(9), k, k.neg()).astype("float32"));
    },
  },
  {
    name: "LSTM cell gates split from one product [64,1024], and its grad",
    shapes: [[64, 1024], [64, 256]],
    f: (lib) => {
      const np = lib.numpy;
      const cell = (z: Tensor, c: Tensor) => {
        const [i, f, g, o] = np.split(z, 4, -1);
        const c2 = np.sigmoid(f).mul(c).add(np.sigmoid(i).mul(np.tanh(g)));
        return np.sum(np.sigmoid(o).mul(np.tanh(c2)));
      };
      return (z, c) => {
        const [value, [gz, gc]] = lib.valueAndGrad(cell, { argnums: [0, 1] })(z, c) as unknown as [
          Tensor,
          Tensor[],
        ];
        return [value, gz, gc];
      };
    },
  },
  {
    name: "grad of a smoothness penalty on rows [512,1024] (shifted rows, pads)",
    shapes: [[512, 1024]],
    f: (lib) => {
      const np = lib.numpy;
      const penalty = (x: Tensor) => {
        const d = np.index(x, np.s(1)).sub(np.index(x, np.s(undefined, -1)));
        return np.sum(d.mul(d));
      };
      return (x) => lib.grad(penalty)(x) as Tensor;
    },
  },
  {
    name: "grad of a smoothness penalty along rows [512,1024] (shifted columns, innermost pads)",
    shapes: [[512, 1024]],
    f: (lib) => {
      const np = lib.numpy;
      const penalty = (x: Tensor) => {
        const d = np.index(x, np.s(), np.s(1)).sub(np.index(x, np.s(), np.s(undefined, -1)));
        return np.sum(d.mul(d));
      };
      return (x) => lib.grad(penalty)(x) as Tensor;
    },
  },
  {
    // The key is the bits of the two inputs, so that nothing is folded at compile time.
    name: "random.uniform 1M",
    shapes: [[2]],
    f: (lib) => (x) => lib.random.uniform(lib.lax.bitcastConvertType(x, "int32"), [1 << 20]),
  },
  {
    name: "random.normal 1M",
    shapes: [[2]],
    f: (lib) => (x) => lib.random.normal(lib.lax.bitcastConvertType(x, "int32"), [1 << 20]),
  },
  {
    name: "row and column sums of tanh [1024,1024]",
    shapes: [[1024, 1024]],
    f: (lib) => (x) => {
      const t = lib.numpy.tanh(x);
      return [lib.numpy.sum(t, 1), lib.numpy.max(t, 0)];
    },
  },
];

/** An eager case: a primitive applied to operands `make` builds (untimed) from inputs in [-1, 1]. */
interface EagerCase {
  name: string;
  /** Elements of each input. */
  size: number;
  make: (lib: Lib, x: Tensor, y: Tensor, one: Tensor) => Tensor[];
  f: (lib: Lib) => Fn;
}

/** The eager cases at one size: `n` elements, a broadcast operand of shape [1]. */
function eagerCases(n: number): EagerCase[] {
  const size = n >= 1e6 ? "1e6" : "1e3";
  const cases: EagerCase[] = [];
  const add = (name: string, make: EagerCase["make"], f: EagerCase["f"]) =>
    cases.push({ name: `${name} ${size}`, size: n, make, f });
  for (const d of ["float32", "float64"] as const) {
    const cast = (t: Tensor) => t.astype(d);
    const pair: EagerCase["make"] = (_, x, y) => [cast(x), cast(y)];
    const scalar: EagerCase["make"] = (_, x, __, one) => [cast(x), cast(one)];
    add(`add ${d}`, pair, () => (x, y) => x.add(y));
    add(`add ${d} broadcast`, scalar, () => (x, y) => x.add(y));
    add(`mul ${d}`, pair, () => (x, y) => x.mul(y));
    add(`mul ${d} broadcast`, scalar, () => (x, y) => x.mul(y));
    add(`lt ${d}`, pair, () => (x, y) => x.lt(y));
    add(`lt ${d} broadcast`, scalar, () => (x, y) => x.lt(y));
    add(
      `where ${d}`,
      (_, x, y) => [cast(x).gt(0), cast(x), cast(y)],
      (lib) => (c, x, y) => lib.numpy.where(c, x, y),
    );
    add(
      `where ${d} broadcast`,
      (_, x, __, one) => [cast(x).gt(0), cast(x), cast(one)],
      (lib) => (c, x, y) => lib.numpy.where(c, x, y),
    );
    const other = d === "float32" ? "float64" : "float32";
    add(`astype ${d} to ${other}`, pair, () => (x) => x.astype(other));
    add(`astype ${d} to int32`, pair, () => (x) => x.astype("int32"));
    add(`astype ${d} to bool`, pair, () => (x) => x.astype("bool"));
    add(`astype bool to ${d}`, (_, x) => [x.gt(0)], () => (b) => b.astype(d));
  }
  for (const fn of ["sqrt", "abs"] as const) {
    add(
      `${fn} float64`,
      (lib, x) => [lib.numpy.abs(x.astype("float64"))],
      (lib) => (x) => lib.numpy[fn](x),
    );
  }
  // The math written as IR definitions (kernels/lowering/math_definitions.ts, _f64.ts).
  for (const d of ["float32", "float64"] as const) {
    for (const fn of ["exp", "log", "tanh", "sigmoid"] as const) {
      add(
        `${fn} ${d}`,
        (lib, x) => [lib.numpy.abs(x).add(1e-3).astype(d)],
        (lib) => (x) => lib.numpy[fn](x),
      );
    }
  }
  for (const fn of ["sin", "cos"] as const) {
    add(
      `${fn} float32`,
      (lib, x) => [lib.numpy.abs(x).add(1e-3)],
      (lib) => (x) => lib.numpy[fn](x),
    );
  }
  // The bit primitives and threefry2x32 on int32 words (the bits of the float inputs).
  const words = (lib: Lib, t: Tensor) => lib.lax.bitcastConvertType(t, "int32");
  const nine = (lib: Lib, x: Tensor) => lib.numpy.full(x.shape, 9, "int32");
  add(
    "xor int32",
    (lib, x, y) => [words(lib, x), words(lib, y)],
    (lib) => (x, y) => lib.lax.xor(x, y),
  );
  add(
    "shift_right_logical int32",
    (lib, x) => [words(lib, x), nine(lib, x)],
    (lib) => (x, s) => lib.lax.shiftRightLogical(x, s),
  );
  add(
    "shift_left int32",
    (lib, x) => [words(lib, x), nine(lib, x)],
    (lib) => (x, s) => lib.lax.shiftLeft(x, s),
  );
  add(
    "threefry2x32",
    (lib, x, y) => [words(lib, x), words(lib, y), words(lib, y), words(lib, x)],
    (lib) => (k0, k1, x0, x1) => lib.threefry2x32(k0, k1, x0, x1),
  );
  for (const fn of ["sin", "cos", "erf", "erfInv"] as const) {
    add(
      `${fn} float64`,
      (_, x) => [x.mul(fn === "erfInv" ? 0.999 : 3).astype("float64")],
      (lib) => (x) => lib.numpy[fn](x),
    );
  }
  for (const d of ["float32", "float64"] as const) {
    for (const fn of ["power", "arctan2"] as const) {
      add(
        `${fn} ${d}`,
        (lib, x, y) => [lib.numpy.abs(x).add(1e-3).astype(d), y.mul(3).astype(d)],
        (lib) => (x, y) => lib.numpy[fn](x, y),
      );
    }
  }
  return cases;
}

/**
 * The eager reduction cases: rows, columns, 2x2 max pooling, bools, int32, products, index
 * reductions and small shapes.
 */
function reductionCases(): EagerCase[] {
  const cases: EagerCase[] = [];
  type Reduce = (lib: Lib, t: Tensor) => Tensor;
  const add = (name: string, shape: number[], cast: (t: Tensor) => Tensor, f: Reduce) =>
    cases.push({
      name: `${name} ${JSON.stringify(shape)}`,
      size: shape.reduce((a, b) => a * b, 1),
      make: (lib, x) => [cast(lib.numpy.reshape(x, shape))],
      f: (lib) => (t) => f(lib, t),
    });
  const float = (d: "float32" | "float64") => (t: Tensor) => t.astype(d);
  const int = (t: Tensor) => t.mul(100).astype("int32");
  const bool = (t: Tensor) => t.gt(0.9);
  const big = [1024, 1024], small = [8, 10];
  for (const d of ["float32", "float64"] as const) {
    for (const shape of [big, small]) {
      add(`sum rows ${d}`, shape, float(d), (lib, t) => lib.numpy.sum(t, 1));
      add(`sum columns ${d}`, shape, float(d), (lib, t) => lib.numpy.sum(t, 0));
      add(`max rows ${d}`, shape, float(d), (lib, t) => lib.numpy.max(t, 1));
      add(`max columns ${d}`, shape, float(d), (lib, t) => lib.numpy.max(t, 0));
    }
  }
  add(
    "max pool 2x2 float32",
    [1024, 14, 2, 14, 2],
    float("float32"),
    (lib, t) => lib.numpy.max(t, [2, 4]),
  );
  for (const d of ["float32", "float64"] as const) {
    add(`sum pool 2x2 ${d}`, [1024, 14, 2, 14, 2], float(d), (lib, t) => lib.numpy.sum(t, [2, 4]));
  }
  add(
    "max pool 3x3 float32",
    [64, 7, 3, 50, 3],
    float("float32"),
    (lib, t) => lib.numpy.max(t, [2, 4]),
  );
  for (const r of [3, 6]) {
    const shape = [2048, r, 64];
    add("max short columns float32", shape, float("float32"), (lib, t) => lib.numpy.max(t, 1));
    add("sum short columns int32", shape, int, (lib, t) => lib.numpy.sum(t, 1));
    for (const d of ["float32", "float64"] as const) {
      add(`sum short columns ${d}`, shape, float(d), (lib, t) => lib.numpy.sum(t, 1));
    }
    add(
      "argmax short columns float32",
      shape,
      float("float32"),
      (lib, t) => lib.numpy.argmax(t, 1),
    );
  }
  for (const r of [3, 10, 100]) {
    const shape = [65536 / r | 0, r];
    add("argmax short rows float32", shape, float("float32"), (lib, t) => lib.numpy.argmax(t, 1));
  }
  add(
    "min rows float32 middle axis",
    [64, 1000, 16],
    float("float32"),
    (lib, t) => lib.numpy.min(t, 1),
  );
  for (const shape of [big, small]) {
    add("sum rows int32", shape, int, (lib, t) => lib.numpy.sum(t, 1));
    add("sum columns int32", shape, int, (lib, t) => lib.numpy.sum(t, 0));
    add("prod rows int32", shape, int, (lib, t) => lib.numpy.prod(t, 1));
    add("prod columns int32", shape, int, (lib, t) => lib.numpy.prod(t, 0));
    add("prod columns float64", shape, float("float64"), (lib, t) => lib.numpy.prod(t, 0));
    add("prod rows float32", shape, float("float32"), (lib, t) => lib.numpy.prod(t, 1));
    add("prod columns float32", shape, float("float32"), (lib, t) => lib.numpy.prod(t, 0));
    add("argmax rows float32", shape, float("float32"), (lib, t) => lib.numpy.argmax(t, 1));
    add("argmin columns float32", shape, float("float32"), (lib, t) => lib.numpy.argmin(t, 0));
    add("argmax columns float64", shape, float("float64"), (lib, t) => lib.numpy.argmax(t, 0));
    add("argmin rows int32", shape, int, (lib, t) => lib.numpy.argmin(t, 1));
    add("argmax columns bool", shape, bool, (lib, t) => lib.numpy.argmax(t, 0));
    add("max rows int32", shape, int, (lib, t) => lib.numpy.max(t, 1));
    add("min columns int32", shape, int, (lib, t) => lib.numpy.min(t, 0));
    add("any rows bool", shape, bool, (lib, t) => lib.numpy.any(t, 1));
    add("all columns bool", shape, bool, (lib, t) => lib.numpy.all(t, 0));
    add("all rows bool", shape, bool, (lib, t) => lib.numpy.all(t, 1));
    add("any columns bool", shape, bool, (lib, t) => lib.numpy.any(t, 0));
  }
  for (const shape of [[1024, 14, 2, 14, 2], [64, 7, 3, 50, 3]]) {
    add("any pool bool", shape, bool, (lib, t) => lib.numpy.any(t, [2, 4]));
  }
  return cases;
}

/**
 * The eager structural cases (strided copies): transposes, axis permutations, strided and
 * contiguous slices, revs, pads, concatenates and broadcasts of float32, and of bool and float64,
 * large and small.
 */
function structuralCases(): EagerCase[] {
  const cases: EagerCase[] = [];
  type Op = (lib: Lib, t: Tensor) => Tensor;
  const add = (name: string, shape: number[], d: "float32" | "float64" | "bool", f: Op) =>
    cases.push({
      name: `${name} ${d} ${JSON.stringify(shape)}`,
      size: shape.reduce((a, b) => a * b, 1),
      make: (lib, x) => {
        const t = lib.numpy.reshape(x, shape);
        return [d === "bool" ? t.gt(0) : t.astype(d)];
      },
      f: (lib) => (t) => f(lib, t),
    });
  const transpose = (perm: number[]): Op => (lib, t) => lib.lax.transpose(t, perm);
  const slice = (start: number[], limit: number[], strides: number[]): Op => (lib, t) =>
    lib.lax.slice(t, start, limit, strides);
  const rev = (dims: number[]): Op => (lib, t) => lib.lax.rev(t, dims);
  const pad = (lo: number[], hi: number[], interior: number[]): Op => (lib, t) =>
    lib.lax.pad(t, lo, hi, interior, 0);
  const concat = (d: number): Op => (lib, t) => lib.lax.concatenate([t, t], d);
  const broadcast = (shape: number[], dims: number[]): Op => (lib, t) =>
    lib.lax.broadcastInDim(t, shape, dims);
  for (const d of ["float32", "float64", "bool"] as const) {
    const m = [1024, 1024], half = [512, 512];
    add("transpose", m, d, transpose([1, 0]));
    add("concatenate rows", half, d, concat(0));
    add("concatenate columns", half, d, concat(1));
    add("pad 1", half, d, pad([1, 1], [1, 1], [0, 0]));
    if (d !== "float32") continue;
    add("permute 1,0,2", [64, 128, 128], d, transpose([1, 0, 2]));
    add("permute 0,2,1", [64, 128, 128], d, transpose([0, 2, 1]));
    add("permute 2,0,1", [64, 128, 128], d, transpose([2, 0, 1]));
    add("slice step 2", m, d, slice([0, 0], m, [2, 2]));
    add("slice columns step 2", m, d, slice([0, 0], m, [1, 2]));
    add("slice inner", m, d, slice([1, 1], [1023, 1023], [1, 1]));
    add("rev columns", m, d, rev([1]));
    add("rev rows", m, d, rev([0]));
    add("pad interior", half, d, pad([0, 0], [0, 0], [1, 1]));
    add("pad crop", half, d, pad([-1, -3], [2, -1], [0, 0]));
    add("broadcast rows", [1024], d, broadcast(m, [1]));
    add("broadcast columns", [1024], d, broadcast(m, [0]));
    add("permute 3,2,1,0", [16, 16, 16, 16], d, transpose([3, 2, 1, 0]));
    add("permute 0,2,1,3", [16, 32, 16, 32], d, transpose([0, 2, 1, 3]));
    add("permute 4,3,2,1,0", [8, 8, 8, 8, 8], d, transpose([4, 3, 2, 1, 0]));
    add("permute 0,2,1,4,3", [8, 8, 8, 8, 16], d, transpose([0, 2, 1, 4, 3]));
    add("permute 5,4,3,2,1,0", [6, 6, 6, 6, 6, 6], d, transpose([5, 4, 3, 2, 1, 0]));
    add("permute 0,2,1,4,3,5", [4, 6, 6, 6, 6, 8], d, transpose([0, 2, 1, 4, 3, 5]));
    add("permute 3,2,1,0", [2, 3, 4, 5], d, transpose([3, 2, 1, 0]));
  }
  const windows = (input: number[], window: number[]): Op => (lib, t) =>
    lib.lax.patchesTranspose(t, input, {
      window,
      strides: window.map(() => 1),
      padding: window.map(() => [0, 0]),
      dilation: window.map(() => 1),
    });
  const ct = (input: number[], window: number[]) => [
    ...input.map((n, d) => n - window[d] + 1),
    ...window,
  ];
  const geometries: [number[], number[]][] = [
    [[1 << 16], [5]],
    [[64, 64], [3, 3]],
    [[32, 32, 16], [3, 3, 1]],
    [[8, 16, 16, 8], [1, 3, 3, 1]],
    [[16, 16, 16], [3, 3, 3]],
    [[8, 8, 8, 8], [2, 2, 2, 2]],
  ];
  for (const [input, window] of geometries) {
    for (const d of ["float32", "float64"] as const) {
      add(`patches_transpose ${window}`, ct(input, window), d, windows(input, window));
    }
  }
  const small = [8, 10];
  add("transpose", small, "float32", transpose([1, 0]));
  add("slice step 2", small, "float32", slice([0, 0], small, [2, 2]));
  add("rev columns", small, "float32", rev([1]));
  add("pad 1", small, "float32", pad([1, 1], [1, 1], [0, 0]));
  add("concatenate columns", small, "float32", concat(1));
  add("broadcast rows", [10], "float32", broadcast(small, [1]));
  add("transpose", small, "float64", transpose([1, 0]));
  add("transpose", small, "bool", transpose([1, 0]));
  return cases;
}

/**
 * The eager indexing cases: take of embedding rows ([10000, 64] by 4096 positions) of float32,
 * float64 and bool, of scalars (2^20 by 2^16), along a middle axis, small; scatter_add of
 * [4096, 64] rows into [10000, 64] (float32, float64, int32), of scalars, small.
 */
function indexingCases(): EagerCase[] {
  const cases: EagerCase[] = [];
  /** `m` positions in [0, n) from the second input (in [-1, 1]). */
  const positions = (lib: Lib, y: Tensor, n: number, m: number) =>
    lib.numpy.floor(lib.lax.slice(y, [0], [m]).add(1).mul((n - 1) / 2)).astype("int32");
  const cast = (t: Tensor, d: string) => (d === "bool" ? t.gt(0) : t.astype(d as "float32"));
  const take = (shape: number[], axis: number, m: number, d: string) =>
    cases.push({
      name: `take ${d} ${JSON.stringify(shape)} axis ${axis} by ${m}`,
      size: Math.max(shape.reduce((a, b) => a * b, 1), m),
      make: (lib, x, y) => [
        cast(
          lib.numpy.reshape(lib.lax.slice(x, [0], [shape.reduce((a, b) => a * b, 1)]), shape),
          d,
        ),
        positions(lib, y, shape[axis], m),
      ],
      f: (lib) => (t, i) => lib.take(t, i, axis),
    });
  const scatter = (shape: number[], axis: number, m: number, d: string) => {
    const updates = [...shape.slice(0, axis), m, ...shape.slice(axis + 1)];
    const count = updates.reduce((a, b) => a * b, 1);
    cases.push({
      name: `scatter_add ${d} ${JSON.stringify(updates)} into ${JSON.stringify(shape)}`,
      size: Math.max(count, m),
      make: (lib, x, y) => {
        const u = lib.numpy.reshape(lib.lax.slice(x, [0], [count]), updates);
        return [
          d === "int32" ? u.mul(100).astype("int32") : cast(u, d),
          positions(lib, y, shape[axis], m),
        ];
      },
      f: (lib) => (u, i) => lib.scatterAdd(u, i, axis, shape),
    });
  };
  for (const d of ["float32", "float64", "bool"]) take([10000, 64], 0, 4096, d);
  take([10000, 32], 0, 4096, "float32");
  take([10000, 16], 0, 4096, "float64");
  take([1 << 20], 0, 1 << 16, "float32");
  take([256, 1000], 1, 100, "float32");
  take([64, 100, 16], 1, 50, "float32");
  take([100, 8], 0, 10, "float32");
  take([1000], 0, 100, "int32");
  for (const d of ["float32", "float64", "int32"]) scatter([10000, 64], 0, 4096, d);
  scatter([1 << 16], 0, 1 << 16, "float32");
  scatter([64, 100, 16], 1, 50, "float32");
  scatter([100, 8], 0, 10, "float32");
  return cases;
}

/** Host data in [-1, 1], the same for every build. */
function data(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** The host data of each output of `out`. */
function host(out: Tensor | Tensor[]): Float32Array[] {
  const list = Array.isArray(out) ? out : [out];
  return list.map((t) =>
    Float32Array.from((t as unknown as { dataSync(): ArrayLike<number> }).dataSync())
  );
}

/** The largest error of `got` against `want`, relative to each output's scale. */
function error(got: Float32Array[], want: Float32Array[]): number {
  let worst = 0;
  want.forEach((w, o) => {
    const scale = w.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
    for (let i = 0; i < w.length; i++) {
      worst = Math.max(worst, Math.abs(got[o][i] - w[i]) / scale);
    }
  });
  return worst;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Loads the build whose root folder is `dir`, on one kernel thread. */
async function load(dir: string): Promise<Lib> {
  const url = (path: string) => pathToFileURL(resolve(dir, path)).href;
  const lib: typeof import("../mod.ts") = await import(url("mod.ts"));
  const { threefry2x32 } = await import(url("core/primitives/threefry.ts"));
  const { take, scatterAdd } = await import(url("core/primitives/indexing.ts"));
  lib.setThreads(1);
  return { ...lib, threefry2x32, take, scatterAdd };
}

/** One build's case, ready to time: `run` calls the jitted function once and waits for it. */
function prepare(
  lib: Lib,
  c: Case,
): { run: () => void; out: Float32Array[]; want: Float32Array[] } {
  const inputs = (backend: string) =>
    c.shapes.map((s, i) =>
      lib.toBackend(
        lib.numpy.reshape(lib.numpy.array(data(s.reduce((a, b) => a * b, 1), i + 1)), s),
        backend,
      )
    );
  const f = c.f(lib);
  const want = host(lib.jit(f, { backend: "ref" })(...inputs("ref")));
  const args = inputs("wasm");
  const jitted = lib.jit(f, { backend: "wasm", compile: "sync" });
  const out = host(jitted(...args));
  return { run: () => void host(jitted(...args)), out, want };
}

/** One build's eager case, ready to time: `run` applies the primitive and releases its result. */
function prepareEager(
  lib: Lib,
  c: EagerCase,
): { run: () => void; out: Float32Array[]; want: Float32Array[] } {
  const operands = (backend: string) => {
    const [x, y, one] = [[c.size, 1], [c.size, 2], [1, 3]].map(([n, seed]) =>
      lib.toBackend(lib.numpy.array(data(n, seed)), backend)
    );
    return c.make(lib, x, y, one);
  };
  const f = c.f(lib);
  const refArgs = operands("ref");
  const want = host(f(...refArgs));
  const args = operands("wasm");
  const out = host(f(...args));
  const run = () => {
    for (const t of [f(...args)].flat()) (t as unknown as Disposable)[Symbol.dispose]();
  };
  return { run, out, want };
}

const argv = Deno.args.filter((a) => !a.startsWith("--"));
if (argv.length !== 2) {
  console.error("usage: deno run -A bench/builds.ts OLD_DIR NEW_DIR [--rounds=N]");
  Deno.exit(2);
}
const rounds = Number(Deno.args.find((a) => a.startsWith("--rounds="))?.slice(9) ?? 15);
const filter = new RegExp(Deno.args.find((a) => a.startsWith("--filter="))?.slice(9) ?? "");
const eager = Deno.args.includes("--eager");
const builds = [await load(argv[0]), await load(argv[1])];
let failed = false;
console.log(`old ${argv[0]}, new ${argv[1]}: ${rounds} interleaved rounds, 1 thread, ms`);
const cases = eager
  ? [
    ...eagerCases(1000),
    ...eagerCases(1 << 20),
    ...reductionCases(),
    ...structuralCases(),
    ...indexingCases(),
  ]
  : CASES;
for (const c of cases.filter((c) => filter.test(c.name))) {
  const prepared = builds.map((lib) =>
    "make" in c ? prepareEager(lib, c) : prepare(lib, c as Case)
  );
  const errors = prepared.map((p) => error(p.out, p.want));
  if (errors.some((e) => !(e < 1e-4))) {
    console.log(`${c.name}: MISMATCH against ref (old ${errors[0]}, new ${errors[1]})`);
    failed = true;
    continue;
  }
  const times: number[][] = [[], []];
  for (const p of prepared) p.run();
  for (let r = 0; r < rounds; r++) {
    prepared.forEach((p, b) => {
      const t0 = performance.now();
      p.run();
      times[b].push(performance.now() - t0);
    });
  }
  const [old, now] = times.map(median);
  console.log(
    `${c.name}: old ${old.toPrecision(3)}, new ${now.toPrecision(3)}, new/old ${
      (now / old).toFixed(3)
    }` +
      ` (max error vs ref ${Math.max(...errors).toExponential(1)})`,
  );
}
if (failed) Deno.exit(1);
