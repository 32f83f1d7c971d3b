// Plotly rendering of the server's figure JSON ({data, layout}); plotly.js is served by the app.

const CONFIG = {
  responsive: true,
  displaylogo: false,
  modeBarButtonsToRemove: ["lasso2d", "select2d", "autoScale2d"],
};

function plotlyReady() {
  return typeof window.Plotly !== "undefined";
}

const NARROW_PX = 640;

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

/** Draw `figure` into `el`; `onClick(point)` gets Plotly's clicked point. */
export function render(el, figure, { onClick } = {}) {
  if (!plotlyReady()) {
    el.textContent = "The chart library (/vendor/plotly.min.js) did not load; the tables below hold the same numbers.";
    return Promise.resolve();
  }
  el.onPlotClick = onClick || null;
  const drawn = window.Plotly.react(el, figure.data, responsive(el, figure), CONFIG);
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
  if (plotlyReady() && el) window.Plotly.purge(el);
}
