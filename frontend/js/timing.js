// Measured times with their spread (docs/design.md, "Benchmark results"): a benchmark's timings
// carry p10, median, p90, the coefficient of variation and the median's 95% interval, and a
// result is `noisy` when the spread or the host's load was high. Shown, never hidden.
import { h } from "./dom.js";
import * as fmt from "./format.js";

/** "12.3 ms (p10 11.9 – p90 13.0 ms, CV 3.1 %, median ±1.2 % at 95 % over 60 runs)"; with
 * `rate`, images/s (p10 is then the slow end). */
export function timingText(timing, { rate = false } = {}) {
  if (!timing) return "—";
  const [value, p10, p90] = rate ? [timing.images_per_s, timing.images_per_s_p10, timing.images_per_s_p90].map(fmt.throughput) : [timing.median_s, timing.p10_s, timing.p90_s].map((s) => fmt.ms(s * 1000));
  const parts = [`p10 ${p10} – p90 ${p90}`];
  if (timing.cv !== null && timing.cv !== undefined) parts.push(`CV ${fmt.pct(timing.cv)}`);
  if (timing.half_width !== null && timing.half_width !== undefined) {
    parts.push(`median ±${fmt.pct(timing.half_width)} at 95 % over ${timing.runs} runs${timing.converged === false ? " (cap reached)" : ""}`);
  } else {
    parts.push(`${timing.runs} runs`);
  }
  return `${value} at batch ${timing.batch} (${parts.join(", ")})`;
}

/** The host's load while the benchmark ran: "load average 3.2 → 4.1 on 2 CPUs; other processes 63 % of CPU time" */
export function loadText(load) {
  if (!load) return "not recorded (a benchmark from before loads were measured)";
  const avg = (v) => (v === null || v === undefined ? "?" : v.toFixed(2));
  const other = load.other_cpu_fraction === null || load.other_cpu_fraction === undefined ? "" : `; other processes used ${fmt.pct(load.other_cpu_fraction, 0)} of the CPU time`;
  return `load average ${avg(load.load_average_start)} → ${avg(load.load_average_end)} on ${load.cpus} CPUs over ${fmt.seconds(load.wall_s)}${other}`;
}

/** A "noisy" badge with its reasons as the tooltip and beside it, or nothing. */
export function noisyBadge(details) {
  if (!details || !details.noisy) return "";
  const reasons = details.noisy_reasons || [];
  return h("span", { class: "noisy", id: "job-noisy" }, h("span", { class: "badge failed", title: reasons.join("\n") }, "noisy"), " ", h("span", { class: "small" }, reasons.join("; ")));
}

/** How steady the host was over a calibration's rounds: "5 rounds, −3.3 % to +6.7 % from their
 * median time: steady", or noisy when a round left the calibration's precision. */
export function roundsText(fit) {
  if (!fit.round_times) return "not recorded (a profile from before calibrations ran in rounds)";
  const [low, high] = [Math.min(...fit.round_times), Math.max(...fit.round_times)].map((r) => fmt.signedPct(r - 1));
  const text = `${fit.round_times.length} rounds, ${low} to ${high} from their median time`;
  if (!fit.noisy) return `${text}: steady`;
  return h("span", {}, `${text} `, h("span", { class: "badge failed" }, "noisy"), " the host's speed moved during the calibration: its predictions carry that error; calibrate again on a quieter host");
}

/** A leaderboard entry's timings: median with its p10–p90 over the benchmarks, per device. */
export function boardLatency(entry) {
  const first = entry.timings && entry.timings[0];
  if (!first || first.latency_ms === null) return fmt.ms(entry.latency_ms);
  const spread = first.latency_ms_p10 !== null ? ` (${fmt.ms(first.latency_ms_p10)} – ${fmt.ms(first.latency_ms_p90)})` : "";
  const count = `${first.used} of ${first.benchmarks} benchmark${first.benchmarks === 1 ? "" : "s"}${first.noisy ? `, ${first.noisy} noisy` : ""}`;
  return h("span", { title: `median over ${count}; ${first.protocol}` }, `${fmt.ms(first.latency_ms)}${spread}`, h("span", { class: "muted small" }, ` · ${count}`));
}
