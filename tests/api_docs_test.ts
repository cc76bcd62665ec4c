import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

/** A documented symbol as `deno doc --json` gives it (the fields read here). */
interface DocSymbol {
  name: string;
  declarations: {
    kind: string;
    jsDoc?: { doc?: string };
    def?: { elements?: DocSymbol[] };
  }[];
}

/** The exported symbols of mod.ts, as `deno doc --json` lists them. */
async function modSymbols(): Promise<DocSymbol[]> {
  const out = await new Deno.Command("deno", {
    args: ["doc", "--json", "mod.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const json = JSON.parse(new TextDecoder().decode(out.stdout));
  return json.nodes[new URL("mod.ts", ROOT).href].symbols;
}

/** The namespace `name` of mod.ts: its doc text and the names of its members. */
function namespace(symbols: DocSymbol[], name: string): { doc: string; members: string[] } {
  const decl = symbols.find((s) => s.name === name)?.declarations.find((d) =>
    d.kind === "namespace"
  );
  assert.ok(decl, `deno doc lists no namespace ${name}`);
  return {
    doc: decl.jsDoc?.doc ?? "",
    members: (decl.def?.elements ?? []).map((e) => e.name),
  };
}

/** Names a user reaches for first in each namespace; each must be in the API reference. */
const EXPECTED: Record<string, string[]> = {
  numpy: ["array", "asArray", "Array", "sum", "zeros", "matmul", "reshape", "index", "at"],
  lax: ["sort", "dotGeneral", "scatterAdd", "scatter", "conv", "reduceWindow"],
  nn: ["serial", "dense", "conv2d", "relu", "softmax", "softmaxCrossEntropy", "initializers"],
  optim: ["adam", "sgd", "chain", "applyUpdates", "cosineDecay"],
  random: ["key", "split", "normal", "uniform", "categorical"],
  data: ["mnist", "batches", "parseIdx"],
  train: ["fit", "progress", "saveCheckpoint", "earlyStopping"],
  tree: ["map", "flatten"],
};

Deno.test("deno doc lists the members of every namespace of mod.ts", async () => {
  const symbols = await modSymbols();
  for (const [name, expected] of Object.entries(EXPECTED)) {
    const { members } = namespace(symbols, name);
    const missing = expected.filter((m) => !members.includes(m));
    assert.deepEqual(missing, [], `deno doc mod.ts does not list these members of ${name}`);
  }
});

Deno.test("each namespace of mod.ts is described by its own module doc", async () => {
  const symbols = await modSymbols();
  for (const name of Object.keys(EXPECTED)) {
    const { doc } = namespace(symbols, name);
    assert.ok(doc.length > 0, `namespace ${name} has no description`);
    assert.doesNotMatch(doc, /^Adjoint:/, `namespace ${name} shows mod.ts's own description`);
  }
  assert.match(namespace(symbols, "numpy").doc, /jax\.numpy/);
});

Deno.test("every deno task has a description", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  for (const [name, task] of Object.entries(config.tasks)) {
    const t = task as { description?: string; command?: string };
    assert.ok(
      typeof t.description === "string" && t.description.length > 0 && t.command,
      `task ${name} needs { "description": ..., "command": ... }`,
    );
  }
});

/** Members of the namespaces inside namespaces of mod.ts (`numpy.linalg`, `lax.linalg`). */
const NESTED: Record<string, string[]> = {
  "numpy.linalg": ["norm", "solve", "inv", "det", "slogdet", "cholesky", "qr", "eigh", "svd"],
  "lax.linalg": ["cholesky", "triangularSolve", "lu", "qr", "eigh", "svd"],
};

Deno.test("deno doc lists the members of numpy.linalg and lax.linalg", async () => {
  const symbols = await modSymbols();
  for (const [path, expected] of Object.entries(NESTED)) {
    const [outer, inner] = path.split(".");
    const decl = symbols.find((s) => s.name === outer)?.declarations.find((d) =>
      d.kind === "namespace"
    );
    const nested = decl?.def?.elements?.find((e) => e.name === inner)?.declarations.find((d) =>
      d.kind === "namespace"
    );
    assert.ok(nested, `deno doc lists no namespace ${path}`);
    assert.ok((nested.jsDoc?.doc ?? "").length > 0, `namespace ${path} has no description`);
    const members = (nested.def?.elements ?? []).map((e) => e.name);
    const missing = expected.filter((m) => !members.includes(m));
    assert.deepEqual(missing, [], `deno doc mod.ts does not list these members of ${path}`);
  }
});
