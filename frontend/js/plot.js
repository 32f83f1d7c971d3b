// Plotly rendering of the server's figure JSON ({data, layout}); plotly.js is served by the app.
import { fitted, NARROW_PX, unwatch, watch } from "./plot-fit.js";

const CONFIG = {
  responsive: false, // plot-fit.js redraws on every change of the container's width instead
  displaylogo: false,
  modeBarButtonsToRemove: ["lasso2d", "select2d", "autoScale2d"],
};

function plotlyReady() {
  return typeof window.Plotly !== "undefined";
}

function legendEntries(data) {
  const groups = new Set();
  let count = 0;
  for (const trace of data) {
    if (trace.showlegend === false) continue;
    if (trace.legendgroup) {
      if (groups.has(trace.legendgroup)) continue;
      groups.add(trace.legendgroup);
    }
    count += 1;
  }
  return count;
}

/** On a narrow screen a bottom legend wraps onto more rows than the figure's margin leaves
 * room for: give it that room (one entry a row below 480 px, two below 640 px). */
function responsive(el, figure) {
  const layout = figure.layout;
  const bottomLegend = layout.legend?.yref === "container" && layout.showlegend !== false;
  if (el.clientWidth >= NARROW_PX || !bottomLegend) return layout;
  const perRow = el.clientWidth < 480 ? 1 : 2;
  const extraRows = Math.max(0, Math.ceil(legendEntries(figure.data) / perRow) - 1);
  if (!extraRows) return layout;
  const extra = extraRows * 24;
  const margin = { ...(layout.margin || {}), b: (layout.margin?.b ?? 80) + extra };
  return { ...layout, margin, height: (layout.height ?? 400) + extra };
}

/** `text` as Plotly draws it literally: Plotly reads <b>, <a href>, <span style> in the strings it
 * draws, so a user's string put into a figure here is escaped like the server's (app/figures/markup.py). */
export function plain(text) {
  return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Draw `figure` into `el`; `onClick(point)` gets Plotly's clicked point. */
export function render(el, figure, { onClick } = {}) {
  if (!plotlyReady()) {
    el.textContent = "The chart library (/vendor/plotly.min.js) did not load; the tables below hold the same numbers.";
    return Promise.resolve();
  }
  el.onPlotClick = onClick || null;
  const layout = fitted(el, figure.layout);
  const drawn = window.Plotly.react(el, figure.data, responsive(el, { ...figure, layout }), CONFIG);
  watch(el, () => render(el, figure, { onClick: el.onPlotClick }));
  if (!el.dataset.clickBound) {
    el.dataset.clickBound = "1";
    drawn.then(() => {
      el.on("plotly_click", (event) => {
        const point = event?.points?.[0];
        if (point && el.onPlotClick) el.onPlotClick(point);
      });
    });
  }
  return drawn;
}

export function purge(el) {
  if (el) unwatch(el);
  if (plotlyReady() && el) window.Plotly.purge(el);
}
