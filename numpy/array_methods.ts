/**
 * Installs the array methods (`x.add(y)`, `x.sum()`, ...) in terms of the numpy functions.
 * @module
 */
import type { ConcreteArray, NestedNumbers } from "../core/array.ts";
import { installArrayMethods } from "../core/method_table.ts";
import { at } from "./at.ts";
import * as ew from "./elementwise.ts";
import * as la from "./linalg.ts";
import * as red from "./reductions.ts";
import * as sh from "./shape.ts";

function nested(data: ArrayLike<number>, shape: readonly number[], bool: boolean): NestedNumbers {
  const conv = (v: number) => (bool ? v !== 0 : v);
  if (shape.length === 0) return conv(data[0]);
  const build = (d: number, offset: number, stride: number): NestedNumbers[] => {
    const n = shape[d];
    const inner = stride / Math.max(n, 1);
    const out: NestedNumbers[] = [];
    for (let i = 0; i < n; i++) {
      out.push(
        d === shape.length - 1 ? conv(data[offset + i]) : build(d + 1, offset + i * inner, inner),
      );
    }
    return out;
  };
  return build(0, 0, shape.reduce((a, b) => a * b, 1));
}

installArrayMethods({
  add: ew.add,
  sub: ew.subtract,
  mul: ew.multiply,
  div: ew.divide,
  pow: ew.power,
  maximum: ew.maximum,
  minimum: ew.minimum,
  neg: ew.negative,
  exp: ew.exp,
  log: ew.log,
  sin: ew.sin,
  cos: ew.cos,
  tanh: ew.tanh,
  sqrt: ew.sqrt,
  abs: ew.abs,
  square: ew.square,
  relu: ew.relu,
  sigmoid: ew.sigmoid,
  greater: ew.greater,
  greaterEqual: ew.greaterEqual,
  less: ew.less,
  lessEqual: ew.lessEqual,
  equal: ew.equal,
  notEqual: ew.notEqual,
  sum: red.sum,
  mean: red.mean,
  max: red.max,
  min: red.min,
  argmax: red.argmax,
  argmin: red.argmin,
  reshape: sh.reshape,
  transpose: sh.transpose,
  squeeze: sh.squeeze,
  expandDims: sh.expandDims,
  matmul: la.matmul,
  dot: la.dot,
  astype: ew.astype,
  toArray: (x: ConcreteArray) => nested(x.dataSync(), x.shape, x.dtype === "bool"),
  at: (x, idx) => at(x, ...idx),
});
