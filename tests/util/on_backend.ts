/**
 * Running test code with a given default backend.
 * @module
 */
import { defaultBackendName, setDefaultBackend } from "../../mod.ts";

/** Runs `fn` with `name` as the default backend, restoring the previous default afterwards. */
export function onBackend<T>(name: string, fn: () => T): T {
  const previous = defaultBackendName();
  setDefaultBackend(name);
  try {
    return fn();
  } finally {
    setDefaultBackend(previous);
  }
}
