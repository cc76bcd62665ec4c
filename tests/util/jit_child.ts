/** A child process for tests: jits one fused program with `compile: "sync"` on wasm. */
import { jit, numpy as np, setDefaultBackend } from "../../mod.ts";
import "../../kernels/wasm/backend.ts";

setDefaultBackend("wasm");
const f = jit((x) => np.tanh(x).mul(2).add(1), { compile: "sync" });
console.log(JSON.stringify(f(np.array([0, 1], "float32")).toArray()));
