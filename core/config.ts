/**
 * Debugging switches, as JAX's `jax.config`: `config.update("debugNans", true)` turns one on for
 * the process; each also starts on when its environment variable is `1` (read only where the
 * environment may be read without a permission prompt).
 * @module
 */

/** The switches and what each does. */
export interface ConfigFlags {
  /**
   * Check every compiled kernel program before it first runs: each kernel reads the storage of
   * the value its equations name, nothing still needed is overwritten, every output is written
   * once (`ADJOINT_VERIFY_PROGRAMS`).
   */
  verifyPrograms: boolean;
  /** Stop at the first primitive that produces a NaN or an infinity (`ADJOINT_DEBUG_NANS`). */
  debugNans: boolean;
  /**
   * Run every compiled program beside op-by-op execution and name the first kernel whose
   * output differs (`ADJOINT_CHECK_JIT`).
   */
  checkJit: boolean;
  /**
   * Fill every block of wasm memory with NaN bytes (`0xff`) when it is allocated and when it is
   * freed, so that a kernel reading memory it never wrote, or no longer owns, gives NaN instead
   * of whatever was there before (`ADJOINT_POISON_MEMORY`).
   */
  poisonMemory: boolean;
}

const ENV: Record<keyof ConfigFlags, string> = {
  verifyPrograms: "ADJOINT_VERIFY_PROGRAMS",
  debugNans: "ADJOINT_DEBUG_NANS",
  checkJit: "ADJOINT_CHECK_JIT",
  poisonMemory: "ADJOINT_POISON_MEMORY",
};

function fromEnv(variable: string): boolean {
  try {
    if (Deno.permissions.querySync({ name: "env", variable }).state !== "granted") return false;
    return Deno.env.get(variable) === "1";
  } catch {
    return false;
  }
}

const flags: ConfigFlags = {
  verifyPrograms: fromEnv(ENV.verifyPrograms),
  debugNans: fromEnv(ENV.debugNans),
  checkJit: fromEnv(ENV.checkJit),
  poisonMemory: fromEnv(ENV.poisonMemory),
};

/** The process's debugging switches: read them as properties, change them with `update`. */
export const config: Readonly<ConfigFlags> & {
  /** Sets switch `name` to `value`, returning its previous value. */
  update<K extends keyof ConfigFlags>(name: K, value: ConfigFlags[K]): ConfigFlags[K];
} = Object.defineProperties(
  {
    update<K extends keyof ConfigFlags>(name: K, value: ConfigFlags[K]): ConfigFlags[K] {
      if (!(name in ENV)) {
        throw new TypeError(
          `config.update: unknown switch ${JSON.stringify(name)}; expected one of ${
            Object.keys(ENV).join(", ")
          }`,
        );
      }
      const before = flags[name];
      flags[name] = value;
      return before;
    },
  },
  Object.fromEntries(
    Object.keys(ENV).map((k) => [k, {
      get: () => flags[k as keyof ConfigFlags],
      enumerable: true,
    }]),
  ),
) as never;
