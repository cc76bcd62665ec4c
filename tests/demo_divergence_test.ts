/**
 * The MNIST demo (examples/mnist_convnet.ts) stops on a diverged loss: with a learning rate far
 * too high it prints the error naming the epoch and step and exits with status 1.
 */
import assert from "node:assert/strict";

Deno.test("the demo exits 1 with the divergence error when the loss stops being finite", async () => {
  const out = await Deno.makeTempDir({ prefix: "demo_divergence_test" });
  try {
    const demo = new URL("../examples/mnist_convnet.ts", import.meta.url).pathname;
    const config = new URL("../deno.json", import.meta.url).pathname;
    const flags = ["--lr", "1e9", "--limit", "640", "--test-limit", "100", "--epochs", "1"];
    const permissions = ["--allow-read", "--allow-env", "--allow-write"]; // as `deno task demo`
    const run = await new Deno.Command("deno", {
      args: [
        "run",
        ...permissions,
        "--config",
        config,
        demo,
        ...flags,
        "--threads",
        "1",
        "--out",
        out,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(run.stderr);
    assert.equal(run.code, 1, stderr);
    assert.match(
      stderr,
      /error: demo: training diverged: metric "loss" is (NaN|Infinity) at epoch 1, step \d+\. Try a lower learning rate/,
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
