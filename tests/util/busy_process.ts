/** A competing load for the thread tests: a child process spinning on a core until killed. */
export function busyProcess(): Deno.ChildProcess {
  return new Deno.Command("deno", {
    args: ["eval", "while (true) {}"],
    stdout: "null",
    stderr: "null",
  }).spawn();
}
