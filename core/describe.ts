/**
 * How an error message shows a value the user passed: short, and saying what kind of value it
 * is, so that `"0.1"` (a string) is not mistaken for the number `0.1`.
 * @module
 */
import { Array } from "./array.ts";

const MAX_CHARS = 60;
/** Items of a list shown before the text is clipped anyway (keeps huge lists cheap). */
const MAX_ITEMS = 20;

function clipped(text: string): string {
  return text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS - 3)}...` : text;
}

function items(list: ArrayLike<unknown>): string {
  const head = globalThis.Array.from(
    { length: Math.min(list.length, MAX_ITEMS) },
    (_, i) => shown(list[i], 1),
  );
  return `${head.join(", ")}${list.length > MAX_ITEMS ? ", ..." : ""}`;
}

/** The value itself, one level deep: `"a"`, `-1`, `[0, 2]`, `{axis: -1}`, `function`. */
function shown(value: unknown, depth: number): string {
  if (value instanceof Array) return String(value.aval);
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return "function";
  if (typeof value !== "object" || value === null) return String(value);
  if (depth > 0) return globalThis.Array.isArray(value) ? "[...]" : "{...}";
  if (globalThis.Array.isArray(value)) return `[${items(value)}]`;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return `${value.constructor.name} [${items(value as unknown as ArrayLike<unknown>)}]`;
  }
  const fields = Object.entries(value).map(([k, v]) => `${k}: ${shown(v, 1)}`);
  return `{${fields.join(", ")}}`;
}

/**
 * A value as an error message shows it: `"0.1" (a string)`, `NaN`, `[0, 2] (a JS list)`,
 * `Float32Array [1.5]`, `an array i32[2]`, `the function flatten`, `{axis: -1} (an object)`.
 */
export function describeValue(value: unknown): string {
  if (value instanceof Array) return `an array ${value.aval}`;
  if (typeof value === "function") return value.name ? `the function ${value.name}` : "a function";
  const text = clipped(shown(value, 0));
  if (typeof value === "string") return `${text} (a string)`;
  if (globalThis.Array.isArray(value)) return `${text} (a JS list)`;
  if (typeof value === "object" && value !== null && !ArrayBuffer.isView(value)) {
    return `${text} (an object)`;
  }
  return text;
}
