// Which budget the leaderboard opens on when none is asked for: the one the team's latest
// finished training result competes in (same input side, C within the tolerance), so a team sees
// its own newest numbers first; else the first budget for the editor's input size. And the
// columns of the leaderboard's download.
import * as api from "../api.js";
import { state } from "../store.js";

/** Whether a model of `conv_macs` at `side` px competes in `budget` (the API compares exactly;
 * this only picks a tab, so floating point is enough). */
function within(budget, convMacs, side) {
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
