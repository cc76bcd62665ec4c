import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = new URL("../", import.meta.url);

/** Library sources: what `deno publish` ships (deno.json's publish.include), tests aside. */
async function librarySources(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const files: string[] = [];
  const walk = async (dir: URL) => {
    for await (const entry of Deno.readDir(dir)) {
      const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
      if (entry.isDirectory) await walk(url);
      else if (entry.name.endsWith(".ts")) files.push(url.pathname);
    }
  };
  for (const path of config.publish.include as string[]) {
    if (path.endsWith("/")) await walk(new URL(path, ROOT));
    else if (path.endsWith(".ts")) files.push(new URL(path, ROOT).pathname);
  }
  return files;
}

Deno.test("library code imports npm packages by full versioned specifiers only", async () => {
  const bare =
    /(?:from\s+|import\(\s*|import\.meta\.resolve\(\s*)"(?![./]|npm:[^@"]+@\d|node:|jsr:)([^"]+)"/g;
  const offenders: string[] = [];
  for (const file of await librarySources()) {
    const text = await Deno.readTextFile(file);
    for (const m of text.matchAll(bare)) offenders.push(`${file}: "${m[1]}"`);
  }
  assert.deepEqual(
    offenders,
    [],
    "a script importing Adjoint by path resolves these with its own deno.json",
  );
});

/**
 * Runs `lines` as main.ts of a new project in a temporary folder, with import map `imports`,
 * extra `files` and environment `env`; returns its exit code and output.
 */
async function runProject(
  imports: Record<string, string>,
  lines: string[],
  files: Record<string, string> = {},
  env: Record<string, string> = {},
) {
  const dir = await Deno.makeTempDir({ prefix: "adjoint-user-" });
  try {
    await Deno.writeTextFile(`${dir}/deno.json`, JSON.stringify({ imports }));
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
    }
    await Deno.writeTextFile(`${dir}/main.ts`, lines.join("\n"));
    const out = await new Deno.Command("deno", {
      args: ["run", "--allow-read", "--allow-env", "--allow-write", "main.ts"],
      cwd: dir,
      // These projects check compiled wasm kernels, whatever backend the suite runs on.
      env: { ADJOINT_BACKEND: "wasm", ...env },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const MOD = new URL("mod.ts", ROOT).href;

Deno.test("a project outside the repository jits compiled kernels and finds MNIST", async () => {
  const counts = new URL("kernels/wasm/jit_executor.ts", ROOT).href;
  // As on a new machine: Deno's cache and the kernel cache start empty, so the compiler package
  // is downloaded by this run (a synchronous compile once waited for it for ever).
  const fresh = await Deno.makeTempDir({ prefix: "adjoint-fresh-" });
  const env = { DENO_DIR: `${fresh}/deno`, ADJOINT_CACHE_DIR: `${fresh}/kernels` };
  const out = await runProject(
    {},
    [
      `import { data, grad, jit, numpy as np } from "${MOD}";`,
      `import { jitCallCounts } from "${counts}";`,
      `const f = (w: np.Array) => np.sum(np.tanh(w).mul(w));`,
      `const g = jit(grad(f), { compile: "sync" })(np.array([[1, 2], [4, 3]], "float32"));`,
      `const m = await data.mnist({ limit: 3 });`,
      `console.log(JSON.stringify({ g: g.toArray(), counts: jitCallCounts,`,
      `  labels: m.train.labels.shape }));`,
    ],
    {},
    env,
  ).finally(() => Deno.remove(fresh, { recursive: true }));
  assert.equal(out.code, 0, out.stderr);
  const got = JSON.parse(out.stdout.trim().split("\n").at(-1)!);
  assert.equal(got.counts.compiled, 1, "the jitted gradient ran as compiled kernels");
  assert.equal(got.counts.interpreted, 0);
  const want = [[1, 2], [4, 3]].map((r) => r.map((w) => Math.tanh(w) + w / Math.cosh(w) ** 2));
  got.g.flat().forEach((v: number, i: number) => assert.ok(Math.abs(v - want.flat()[i]) < 1e-5));
  assert.deepEqual(got.labels, [3]);
});

Deno.test("a background compilation that fails says so once, in one line, and jit runs op by op", async () => {
  const out = await runProject(
    { "npm:assemblyscript@0.28.20/asc": "./no_compiler.ts" },
    [
      `import { jit, numpy as np } from "${MOD}";`,
      `const f = jit((x: np.Array) => np.tanh(x).mul(2).add(1));`,
      `const g = jit((x: np.Array) => np.exp(x).sub(1));`,
      `for (let i = 0; i < 4; i++) {`,
      `  f(np.array([0, 1])); g(np.array([0, 1]));`,
      `  await new Promise((r) => setTimeout(r, 200));`,
      `}`,
      `console.log(JSON.stringify(f(np.array([0, 1])).toArray()));`,
    ],
    { "no_compiler.ts": `throw new Error("this project has no compiler");` },
  );
  assert.equal(out.code, 0, out.stderr);
  const warnings = out.stderr.split("\n").filter((l) => l.includes("could not compile"));
  assert.equal(warnings.length, 1, out.stderr);
  assert.match(warnings[0], /runs op by op .*this project has no compiler.*compile: "sync"/);
  const [a, b] = JSON.parse(out.stdout.trim());
  assert.equal(a, 1);
  assert.ok(Math.abs(b - (2 * Math.tanh(1) + 1)) < 1e-6);
});

/** The files `deno publish` would upload, relative to the repository root, from its dry run. */
async function publishedFiles(): Promise<string[]> {
  const out = await new Deno.Command("deno", {
    args: ["publish", "--dry-run", "--allow-dirty"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text);
  const root = fileURLToPath(ROOT);
  return [...text.matchAll(/^\s*(file:\/\/\S+) \(/gm)].map((m) =>
    relative(root, fileURLToPath(m[1]))
  );
}

Deno.test("the package as deno publish packs it jits compiled kernels from another project", async () => {
  const files = await publishedFiles();
  assert.ok(files.includes("mod.ts") && files.includes("kernels/wasm/prebuilt.ts"), `${files}`);
  assert.ok(!files.some((f) => f.startsWith("tests/")), "tests are not published");
  const pack = await Deno.makeTempDir({ prefix: "adjoint-pack-" });
  try {
    for (const file of files) {
      await Deno.mkdir(dirname(join(pack, file)), { recursive: true });
      await Deno.copyFile(new URL(file, ROOT), join(pack, file));
    }
    const at = (file: string) => pathToFileURL(join(pack, file)).href;
    const out = await runProject({}, [
      `import { grad, jit, numpy as np } from "${at("mod.ts")}";`,
      `import { jitCallCounts } from "${at("kernels/wasm/jit_executor.ts")}";`,
      `const f = (w: np.Array) => np.sum(np.tanh(w).mul(w));`,
      `const g = jit(grad(f), { compile: "sync" })(np.array([[1, 2], [4, 3]], "float32"));`,
      `const m = np.matmul(np.array([[1, 2], [3, 4]]), np.array([[5], [6]]));`,
      `console.log(JSON.stringify({ g: g.toArray(), counts: jitCallCounts,`,
      `  m: m.toArray(), dtype: m.dtype, url: import.meta.resolve("${at("mod.ts")}") }));`,
    ]);
    assert.equal(out.code, 0, out.stderr);
    const got = JSON.parse(out.stdout.trim().split("\n").at(-1)!);
    assert.ok(got.url.startsWith(pathToFileURL(pack).href), "the project imports the packed copy");
    assert.equal(got.counts.compiled, 1, "the jitted gradient ran as compiled kernels");
    assert.equal(got.counts.interpreted, 0);
    const want = [[1, 2], [4, 3]].map((r) => r.map((w) => Math.tanh(w) + w / Math.cosh(w) ** 2));
    got.g.flat().forEach((v: number, i: number) => assert.ok(Math.abs(v - want.flat()[i]) < 1e-5));
    assert.deepEqual([got.m, got.dtype], [[[17], [39]], "int32"]);
  } finally {
    await Deno.remove(pack, { recursive: true });
  }
});
