/**
 * Running code in the next task of the event loop without timers: `setTimeout(fn, 0)` is clamped
 * to 4 ms once timers nest (a training loop awaiting one per step nests them), while a message
 * on a fresh `MessageChannel` arrives in a few microseconds. Between tasks the runtime also runs
 * FinalizationRegistry callbacks, which release the memory of garbage-collected arrays.
 * @module
 */

/** Calls `fn` in a later task; the returned function cancels the call if it has not run. */
export function schedule(fn: () => void): () => void {
  const channel = new MessageChannel();
  let pending = true;
  const finish = () => {
    pending = false;
    channel.port1.close();
    channel.port2.close();
  };
  channel.port1.onmessage = () => {
    if (!pending) return;
    finish();
    fn();
  };
  channel.port2.postMessage(null);
  return () => pending && finish();
}

/** Resolves in a later task of the event loop. */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => schedule(resolve));
}
