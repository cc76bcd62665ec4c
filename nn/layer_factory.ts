/**
 * The registry of layer factories (`nn.dense`, `nn.flatten`, ...): functions that build a layer
 * rather than being one, remembered with how to call them, so that listing one uncalled where a
 * layer is expected (`nn.serial(nn.flatten)`) is an error that says what to write instead.
 * @module
 */
import type { Layer } from "./layer.ts";

/** Layer factories by function, with how to call them, e.g. `nn.dense(features)`. */
const factories = new WeakMap<object, string>();

/** Marks `factory` as a function that builds a layer, called as `call` says. */
export function layerFactory(
  factory: (...args: any[]) => Layer<any, any, any>,
  call: string,
): void {
  factories.set(factory, call);
}

/** How to call `value` if it is a layer factory, else undefined. */
export function factoryCall(value: unknown): string | undefined {
  return typeof value === "function" ? factories.get(value) : undefined;
}
