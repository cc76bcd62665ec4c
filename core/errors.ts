/**
 * Errors that name the operation, what was given and what was expected, and where in the
 * user's code the operation was called.
 * @module
 */

const LIBRARY_ROOT = new URL("../", import.meta.url).href;

/**
 * The first stack frame outside Adjoint, i.e. the line of user code that called into the
 * library, or `""` when it cannot be found.
 */
export function userFrame(): string {
  // The default limit of 10 frames is often used up inside the library (a jitted call's checks).
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 100;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  for (const line of stack.split("\n").slice(1)) {
    const m = line.match(/\((.*):(\d+):(\d+)\)$/) ?? line.match(/at (.*):(\d+):(\d+)$/);
    if (!m) continue;
    const file = m[1];
    if (
      file.startsWith(LIBRARY_ROOT) && !file.includes("/tests/") && !file.includes("/examples/")
    ) {
      continue;
    }
    if (file.startsWith("ext:") || file.startsWith("node:")) continue;
    return `${file}:${m[2]}:${m[3]}`;
  }
  return "";
}

/** An error raised by an Adjoint operation, naming the operation and the calling user code. */
export class AdjointError extends Error {
  /** The operation that failed, e.g. `add` or `grad`. */
  readonly op: string;
  /** Builds the message `op: detail (at file:line:col)`. */
  constructor(op: string, detail: string) {
    const where = userFrame();
    super(`${op}: ${detail}${where ? ` (at ${where})` : ""}`);
    this.name = "AdjointError";
    this.op = op;
  }
}

/**
 * Raised when a traced value is needed as a concrete JS value, e.g. to branch on it under `jit`.
 */
export class ConcretizationError extends AdjointError {
  /** Builds a message that says which transformation traced the value and how to fix it. */
  constructor(what: string, avalStr: string, transform: string) {
    super(
      what,
      `cannot read the value of a traced array ${avalStr} inside ${transform}: its value is not ` +
        `known while the function is being traced. Use np.where(cond, x, y) to choose between ` +
        `values, or pass the argument as static (jit(f, { staticArgnums: [i] })) if it should ` +
        `control the program's structure.`,
    );
    this.name = "ConcretizationError";
  }
}
