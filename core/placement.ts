/**
 * Explicit placement: moving arrays between backends. Operations never move arrays implicitly
 * (apart from scalar constants), so a program's data stays where it was put.
 * @module
 */
import { Array, ConcreteArray } from "./array.ts";
import { getBackend } from "./backend.ts";
import { AdjointError } from "./errors.ts";
import { flatten, type Tree, unflatten } from "./tree.ts";

/**
 * Copies every array in `tree` to backend `name` and commits it there: operations will not move
 * it implicitly (arrays already committed to `name` are kept as they are).
 * The source must be readable synchronously (ref, wasm): from WebGPU use `toBackendAsync`.
 *
 * ```ts
 * import { numpy as np, toBackend } from "../mod.ts";
 * const params = toBackend({ w: np.ones([2, 2]) }, "ref");
 * ```
 */
export function toBackend<T extends Tree>(tree: T, name: string): T {
  const target = getBackend(name);
  const [leaves, def] = flatten(tree);
  const moved = leaves.map((x) => {
    if (!(x instanceof Array)) return x;
    const c = x.concrete("toBackend");
    if (c.backend === target && c.committed) return c;
    const data = c.backend.readSync(c.buffer, c.aval);
    if (!data) {
      throw new AdjointError(
        "toBackend",
        `arrays on the ${c.backend.name} backend can only be read asynchronously; ` +
          `use await toBackendAsync(x, "${name}")`,
      );
    }
    return new ConcreteArray(c.aval, target.fromHost(data.slice(), c.aval), target);
  });
  return unflatten(def, moved) as T;
}

/** Copies every array in `tree` to backend `name`, reading asynchronously (works from any backend). */
export async function toBackendAsync<T extends Tree>(tree: T, name: string): Promise<T> {
  const target = getBackend(name);
  const [leaves, def] = flatten(tree);
  const moved = await Promise.all(leaves.map(async (x) => {
    if (!(x instanceof Array)) return x;
    const c = x.concrete("toBackendAsync");
    if (c.backend === target && c.committed) return c;
    const data = await c.readAsync();
    return new ConcreteArray(c.aval, target.fromHost(data.slice(), c.aval), target);
  }));
  return unflatten(def, moved) as T;
}
