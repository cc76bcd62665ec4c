/**
 * Value parsers for the examples' command-line flags: each takes the flag's text and its name,
 * and returns the value or throws an error naming the flag and what it needs.
 * @module
 */

/** A parser accepting one of `choices`. */
export function oneOf<T extends string>(...choices: T[]): (text: string, flag: string) => T {
  return (text, flag) => {
    if (!(choices as string[]).includes(text)) {
      throw new Error(`${flag} must be one of ${choices.join(", ")}, got "${text}"`);
    }
    return text as T;
  };
}

function numberWith(test: (n: number) => boolean, what: string) {
  return (text: string, flag: string): number => {
    const n = Number(text);
    if (text.trim() === "" || !test(n)) throw new Error(`${flag} needs ${what}, got "${text}"`);
    return n;
  };
}

/** An integer > 0. */
export const positiveInteger: (text: string, flag: string) => number = numberWith(
  (n) => Number.isInteger(n) && n > 0,
  "a positive integer",
);
/** An integer >= 0. */
export const nonNegativeInteger: (text: string, flag: string) => number = numberWith(
  (n) => Number.isInteger(n) && n >= 0,
  "an integer >= 0",
);
/** A finite number > 0. */
export const positiveNumber: (text: string, flag: string) => number = numberWith(
  (n) => Number.isFinite(n) && n > 0,
  "a positive number",
);
/** A finite number >= 0. */
export const nonNegativeNumber: (text: string, flag: string) => number = numberWith(
  (n) => Number.isFinite(n) && n >= 0,
  "a number >= 0",
);

/** `"auto"` or an integer > 0: a thread setting (`setThreads`). */
export function threadSetting(text: string, flag: string): "auto" | number {
  return text === "auto" ? "auto" : numberWith(
    (n) => Number.isInteger(n) && n > 0,
    '"auto" or a positive integer',
  )(text, flag);
}

/** A text that is not empty. */
export function nonEmpty(text: string, flag: string): string {
  if (text === "") throw new Error(`${flag} needs a non-empty text`);
  return text;
}
