/**
 * A progress display for long loops: steps done, steps per second, metrics (loss, accuracy) and
 * the estimated time left. On a terminal it redraws one line in place; otherwise (a log file, CI)
 * it writes plain lines, at most one per `plainIntervalMs`, and a summary line at the end.
 *
 * ```ts
 * import { progress } from "./progress.ts";
 * const bar = progress({ total: 3, label: "epoch 1", unit: "batch" });
 * for (let i = 1; i <= 3; i++) bar.update(i, { loss: 1 / i });
 * bar.done();
 * ```
 * @module
 */

/** Metric values shown after the counters; names containing "acc" are shown as percentages. */
export type Metrics = Record<string, number>;

/** How and where a progress display draws. */
export interface ProgressOptions {
  /** The number of steps expected; enables the bar and the ETA. */
  total?: number;
  /** Text at the start of the line, e.g. `epoch 1/10`. */
  label?: string;
  /** What a step is called in the rate, e.g. `batch` (default `step`). */
  unit?: string;
  /** Where text goes (default: standard output). */
  write?: (text: string) => void;
  /** Redraw in place (default: whether standard output is a terminal). */
  isTerminal?: boolean;
  /** Least time between redraws on a terminal, in ms (default 100). */
  redrawIntervalMs?: number;
  /** Least time between plain lines when not on a terminal, in ms (default 10,000). */
  plainIntervalMs?: number;
  /** Clock in ms (default `performance.now`); tests pass a fake one. */
  now?: () => number;
}

/** A running progress display. */
export interface Progress {
  /** Records that `done` steps are finished, with the latest metrics, and redraws if due. */
  update(done: number, metrics?: Metrics): void;
  /** Draws the final summary line (total time, rate, metrics) and ends the line. */
  done(metrics?: Metrics): void;
}

const BAR_WIDTH = 20;
const encoder = new TextEncoder();

function writeStdout(text: string): void {
  const bytes = encoder.encode(text);
  let written = 0;
  while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
}

/** `4.2s`, `1:05`, `1:02:03`: a duration in seconds, as clock time from a minute on. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  if (seconds < 59.95) return `${Math.max(0, seconds).toFixed(1)}s`;
  const s = Math.round(seconds);
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60];
  const two = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${two(m)}:${two(sec)}` : `${m}:${two(sec)}`;
}

function formatMetric(name: string, value: number): string {
  if (/acc/i.test(name)) return `${name} ${(100 * value).toFixed(2)}%`;
  const abs = Math.abs(value);
  const text = abs !== 0 && (abs < 1e-3 || abs >= 1e5) ? value.toExponential(3) : value.toFixed(4);
  return `${name} ${text}`;
}

function formatRate(rate: number, unit: string): string {
  if (!Number.isFinite(rate) || rate <= 0) return `? ${unit}/s`;
  return rate >= 1 ? `${rate.toFixed(1)} ${unit}/s` : `${(1 / rate).toFixed(2)} s/${unit}`;
}

/** Starts a progress display (see `ProgressOptions`); call `update` after each step. */
export function progress(options: ProgressOptions = {}): Progress {
  const now = options.now ?? (() => performance.now());
  const write = options.write ?? writeStdout;
  const terminal = options.isTerminal ?? Deno.stdout.isTerminal();
  const interval = terminal ? options.redrawIntervalMs ?? 100 : options.plainIntervalMs ?? 10_000;
  const unit = options.unit ?? "step";
  const total = options.total;
  const start = now();
  let lastDraw = start;
  let count = 0;
  let latest: Metrics = {};
  let drewInPlace = false;

  const counters = () => {
    const seconds = (now() - start) / 1000;
    const rate = count / seconds;
    const parts = options.label ? [options.label] : [];
    if (total !== undefined && total > 0) {
      const filled = Math.round(BAR_WIDTH * Math.min(1, count / total));
      if (terminal) parts.push(`[${"#".repeat(filled)}${".".repeat(BAR_WIDTH - filled)}]`);
      parts.push(`${count}/${total}`);
    } else {
      parts.push(String(count));
    }
    return { seconds, rate, parts };
  };
  const metricsText = () => Object.entries(latest).map(([k, v]) => formatMetric(k, v));

  const draw = () => {
    const { seconds, rate, parts } = counters();
    parts.push(formatRate(rate, unit), ...metricsText());
    if (total !== undefined && total > count) {
      parts.push(`ETA ${formatDuration((total - count) / rate)}`);
    } else {
      parts.push(`${formatDuration(seconds)} elapsed`);
    }
    const line = parts.join("  ");
    if (terminal) {
      write(`\r${line}\x1b[K`);
      drewInPlace = true;
    } else {
      write(`${line}\n`);
    }
  };

  return {
    update(done, metrics) {
      count = done;
      if (metrics) latest = { ...latest, ...metrics };
      const t = now();
      if (t - lastDraw >= interval) {
        lastDraw = t;
        draw();
      }
    },
    done(metrics) {
      if (metrics) latest = { ...latest, ...metrics };
      const { seconds, rate, parts } = counters();
      parts.push(
        `in ${formatDuration(seconds)} (${formatRate(rate, unit)})`,
        ...metricsText(),
      );
      write(
        `${terminal && drewInPlace ? "\r" : ""}${parts.join("  ")}${terminal ? "\x1b[K" : ""}\n`,
      );
    },
  };
}
