/**
 * The primitives the thread tests run eagerly on wasm buffers, by name: products, patches and
 * their transpose, copies, elementwise kernels and reductions, each of which splits over the
 * kernel threads when large enough.
 * @module
 */
import type { Primitive } from "../../core/primitive.ts";
import { dotGeneralP } from "../../core/primitives/dot_general.ts";
import { addP, expP, ltP } from "../../core/primitives/elementwise.ts";
import { patchesP, patchesTransposeP } from "../../core/primitives/patches.ts";
import { argmaxP, reduceMaxP, reduceSumP } from "../../core/primitives/reductions.ts";
import { transposeP } from "../../core/primitives/structural.ts";

/** Each primitive under its name, as `backend.execute` takes it. */
export const SPLIT_PRIMITIVES: Readonly<Record<string, Primitive>> = Object.fromEntries(
  [
    dotGeneralP,
    expP,
    addP,
    ltP,
    reduceSumP,
    reduceMaxP,
    argmaxP,
    transposeP,
    patchesP,
    patchesTransposeP,
  ].map((p) => [p.name, p]),
);
