/**
 * The lecture's regularisers as penalties to add to a loss: constraints on weights (L2, "weight
 * decay", moves useless weights towards 0; L1 sets them to 0) over parameter pytrees, with masks
 * to skip biases; and constraints on hidden activities (L1, L2, and a mean-activity target as in
 * sparse autoencoders), which induce sparse representations.
 * @module
 */
import type { Array } from "../core/array.ts";
import { AdjointError } from "../core/errors.ts";
import { leaves, type Tree } from "../core/tree.ts";
import * as np from "../numpy.ts";
import type { Mask } from "./mask.ts";
import { maskLeaves } from "./mask_leaves.ts";

/** Options of the weight penalties. */
export interface PenaltyOptions {
  /** Which leaves are penalised (default all; `weightsOnly` skips biases). */
  mask?: Mask;
}

function sumOver(op: string, params: Tree, options: PenaltyOptions, f: (w: Array) => Array): Array {
  const flags = maskLeaves(op, params, options.mask);
  const terms = (leaves(params) as Array[]).filter((_, i) => flags[i]).map((w) => np.sum(f(w)));
  return terms.length ? terms.reduce((a, b) => np.add(a, b)) : np.array(0, "float32");
}

/**
 * `||w||^2 = sum w^2` over the selected leaves; add `lambda * l2Penalty(params)` to the loss.
 *
 * ```ts
 * import { nn, numpy as np } from "../mod.ts";
 * const params = { w: np.array([[1, -2]], "float32"), b: np.array([3], "float32") };
 * nn.l2Penalty(params, { mask: nn.weightsOnly }).item(); // 5
 * ```
 */
export function l2Penalty(params: Tree, options: PenaltyOptions = {}): Array {
  return sumOver("nn.l2Penalty", params, options, np.square);
}

/** `||w||_1 = sum |w|` over the selected leaves. */
export function l1Penalty(params: Tree, options: PenaltyOptions = {}): Array {
  return sumOver("nn.l1Penalty", params, options, np.abs);
}

/** L1 activity penalty: `sum_j |h_j|` per example, averaged over the batch (axis 0). */
export function activityL1(activations: Array): Array {
  return np.divide(np.sum(np.abs(activations)), activations.shape[0]);
}

/** L2 activity penalty: `sum_j h_j^2` per example, averaged over the batch (axis 0). */
export function activityL2(activations: Array): Array {
  return np.divide(np.sum(np.square(activations)), activations.shape[0]);
}

/**
 * Sparsity penalty of sparse autoencoders (Ng): for activations in (0, 1) (e.g. sigmoid units)
 * with mean activity `rhoHat_j` over the batch, `sum_j KL(rho || rhoHat_j)` =
 * `sum_j rho log(rho / rhoHat_j) + (1 - rho) log((1 - rho) / (1 - rhoHat_j))`. It is 0 when every
 * unit's mean activity equals the target `rho`.
 */
export function klSparsity(activations: Array, rho: number, eps = 1e-6): Array {
  if (!(rho > 0 && rho < 1)) {
    throw new AdjointError("nn.klSparsity", `expected a target activity rho in (0, 1), got ${rho}`);
  }
  const rhoHat = np.clip(
    np.mean(np.reshape(activations, [activations.shape[0], -1]), 0),
    eps,
    1 - eps,
  );
  const kl = np.add(
    np.multiply(rho, np.log(np.divide(rho, rhoHat))),
    np.multiply(1 - rho, np.log(np.divide(1 - rho, np.subtract(1, rhoHat)))),
  );
  return np.sum(kl);
}
