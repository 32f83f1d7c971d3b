// Which budget the leaderboard opens on when none is asked for: the one the team's latest
// finished training result competes in (same input side, C within the tolerance), so a team sees
// its own newest numbers first; else the first budget for the editor's input size. The columns
// of the leaderboard's download, and a time budget's measured time with its spread.
import * as api from "../api.js";
import { h } from "../dom.js";
import * as fmt from "../format.js";
import { state } from "../store.js";

/** Whether a model of `conv_macs` at `side` px competes in `budget` (the API compares exactly;
 * this only picks a tab, so floating point is enough). */
function within(budget, convMacs, side) {
  if (budget.metric !== "macs") return false; // a time budget holds models to measured times, not C
  return budget.input_side === side && Math.abs(convMacs / budget.reference_conv_macs - 1) <= budget.tolerance + 1e-12;
}

export async function latestBudget(budgets) {
  const side = Number(state.draft.input.height);
  const fallback = budgets.find((b) => b.input_side === side) || budgets[0];
  try {
    const page = await api.get("/jobs?kind=train&status=succeeded&per_page=1");
    const job = page.items[0];
    if (!job) return fallback;
    const arch = await api.get(`/architectures/${job.architecture_id}`);
    const { height, width } = arch.spec.input;
    if (height !== width) return fallback;
    return budgets.find((b) => within(b, arch.conv_macs, height)) || fallback;
  } catch {
    return fallback; // the board still opens; the tabs choose another
  }
}

export const ENTRY_COLUMNS = [
  ["rank", "rank"], ["architecture_id", "architecture_id"], ["architecture_name", "architecture"], ["team_name", "team"],
  ["published", "published"], ["conv_macs", "conv_macs"], ["ratio", "ratio_to_budget"], ["protocol", "protocol"], ["seeds", "seeds"],
  ["top1_error_mean", "top1_error_mean_percent"], ["top1_error_std", "top1_error_std_percent"],
  ["top5_error_mean", "top5_error_mean_percent"], ["top5_error_std", "top5_error_std_percent"],
  ["latency_ms", "latency_ms"], ["throughput", "throughput_images_per_s"], ["device", "device"],
];

/** "0.0145 ms at batch 1 on Test CPU" / "5,000 images/s at batch 32 on Test CPU": a time budget's reference. */
export function timeText(budget) {
  const device = budget.device_profile ? ` on ${budget.device_profile.device}` : "";
  const value = budget.metric === "throughput" ? fmt.throughput(budget.reference_value) : fmt.ms(budget.reference_value);
  return `${value} at batch ${budget.batch_size}${device}${budget.reference_predicted ? " (predicted)" : ""}`;
}

// a time budget's board adds these: the measured median on its device with its spread, or the
// predicted time of a model not yet benchmarked there
const TIME_COLUMNS = [
  ["time_median", "measured_median"], ["time_p10", "measured_p10"], ["time_p90", "measured_p90"],
  ["benchmarks", "benchmarks"], ["noisy", "noisy_benchmarks"], ["predicted", "predicted"],
  ["predicted_ms", "predicted_ms_batch_1"], ["time_ratio", "ratio_to_budget_time"],
];

/** The measured median, p10 and p90 of an entry in the board's unit (ms or images/s). */
export function measuredValues(entry, measure) {
  const m = entry.measured;
  if (!m) return [null, null, null];
  return measure.metric === "throughput" ? [m.throughput, m.throughput_p10, m.throughput_p90] : [m.latency_ms, m.latency_ms_p10, m.latency_ms_p90];
}

/** The download of a board: its entries, and for a time budget the predicted ones after them. */
export function boardTable(board) {
  if (board.measure.metric === "macs") return { columns: ENTRY_COLUMNS, rows: board.entries };
  const flat = (e) => {
    const [time_median, time_p10, time_p90] = measuredValues(e, board.measure);
    return { ...e, time_median, time_p10, time_p90, benchmarks: e.measured?.benchmarks ?? 0, noisy: e.measured?.noisy ?? 0 };
  };
  return { columns: [...ENTRY_COLUMNS, ...TIME_COLUMNS], rows: [...board.entries, ...board.predicted].map(flat) };
}

/** A ranked entry's time on the budget's device: "0.0150 ms (0.0135 – 0.0180) · 2 of 3 benchmarks, 1 noisy". */
export function measuredTime(entry, measure) {
  const show = measure.metric === "throughput" ? fmt.throughput : fmt.ms;
  const [median, p10, p90] = measuredValues(entry, measure);
  const m = entry.measured;
  const count = `${m.used} of ${m.benchmarks} benchmark${m.benchmarks === 1 ? "" : "s"}`;
  return h(
    "span",
    { title: `median over ${count}, with the 10th–90th percentiles; ${m.protocol}` },
    `${show(median)} (${show(p10)} – ${show(p90)})`,
    h("span", { class: "muted small" }, ` · ${count}`),
    m.noisy ? [" ", h("span", { class: "badge failed", title: "busy host or wide spread: left out while quiet benchmarks exist" }, `${m.noisy} noisy`)] : ""
  );
}
