import assert from "node:assert/strict";

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

Deno.test("a project outside the repository jits compiled kernels and finds MNIST", async () => {
  const dir = await Deno.makeTempDir({ prefix: "adjoint-user-" });
  try {
    await Deno.writeTextFile(`${dir}/deno.json`, JSON.stringify({ imports: {} }));
    const mod = new URL("mod.ts", ROOT).href;
    const counts = new URL("kernels/wasm/jit_executor.ts", ROOT).href;
    await Deno.writeTextFile(
      `${dir}/main.ts`,
      [
        `import { data, grad, jit, numpy as np } from "${mod}";`,
        `import { jitCallCounts } from "${counts}";`,
        `const f = (w: np.Array) => np.sum(np.tanh(w).mul(w));`,
        `const g = jit(grad(f), { compile: "sync" })(np.array([[1, 2], [4, 3]]));`,
        `const m = await data.mnist({ limit: 3 });`,
        `console.log(JSON.stringify({ g: g.toArray(), counts: jitCallCounts,`,
        `  labels: m.train.labels.shape }));`,
      ].join("\n"),
    );
    const out = await new Deno.Command("deno", {
      args: ["run", "--allow-read", "--allow-env", "--allow-write", "main.ts"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    const got = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
    assert.equal(got.counts.compiled, 1, "the jitted gradient ran as compiled kernels");
    assert.equal(got.counts.interpreted, 0);
    const want = [[1, 2], [4, 3]].map((r) => r.map((w) => Math.tanh(w) + w / Math.cosh(w) ** 2));
    got.g.flat().forEach((v: number, i: number) => assert.ok(Math.abs(v - want.flat()[i]) < 1e-5));
    assert.deepEqual(got.labels, [3]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
