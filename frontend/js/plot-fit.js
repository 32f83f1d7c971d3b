// Figures that fit their card on every screen (docs/design.md, "Dashboard on every screen"): the
// server's narrow variant of a layout (layout.meta.narrow) below 640 px, the system's dark theme,
// and a redraw whenever the container's width changes. Plotly's own `responsive` option only
// resizes on window events and keeps the old height and margins, so a legend that wraps after
// narrowing spilled over the next section; here every redraw recomputes the whole layout.

export const NARROW_PX = 640;
const dark = typeof window.matchMedia === "function" ? window.matchMedia("(prefers-color-scheme: dark)") : null;

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** `base` with `patch` merged in: objects key by key, anything else (arrays too) replaced. */
export function merge(base, patch) {
  const out = { ...base };
  for (const [key, value] of Object.entries(patch || {})) {
    out[key] = isObject(value) && isObject(base?.[key]) ? merge(base[key], value) : value;
  }
  return out;
}

// Colours of the dark theme, for what the server's figures leave to the page (text, grid lines).
const DARK = { ink: "#d8dee6", grid: "#2c3744", line: "#52606d" };

function darkened(layout) {
  const axes = Object.keys(layout).filter((key) => /^[xy]axis\d*$/.test(key));
  const patch = { font: { color: DARK.ink }, legend: { font: { color: DARK.ink } }, title: { font: { color: DARK.ink } } };
  for (const key of axes) patch[key] = { gridcolor: DARK.grid, linecolor: DARK.line, zerolinecolor: DARK.line };
  return merge(layout, patch);
}

/** The layout to draw `layout` with in `el`: the server's narrow variant on a narrow screen, and
 * the page's colours in the dark theme. */
export function fitted(el, layout) {
  // the container's width, given outright: Plotly.react keeps an autosized width it measured before
  let out = el.clientWidth ? { ...layout, width: el.clientWidth } : layout;
  if (el.clientWidth < NARROW_PX && layout.meta?.narrow) out = merge(out, layout.meta.narrow);
  if (dark?.matches) out = darkened(out);
  return out;
}

const watched = new WeakMap(); // element -> its redraw
const drawn = new Set(); // elements with a figure, for a change of colour scheme

/** Call `redraw()` once per frame while `el`'s width changes (not its height: a redraw changes
 * that itself), and when the system switches between light and dark. */
export function watch(el, redraw) {
  drawn.add(el);
  if (watched.has(el)) {
    watched.set(el, redraw);
    return;
  }
  watched.set(el, redraw);
  if (typeof ResizeObserver === "undefined") return;
  let width = el.clientWidth;
  let frame = 0;
  new ResizeObserver(() => {
    if (el.clientWidth === width || !el.isConnected) return;
    width = el.clientWidth;
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => watched.get(el)?.());
  }).observe(el);
}

export function unwatch(el) {
  drawn.delete(el);
}

dark?.addEventListener("change", () => {
  for (const el of drawn) if (el.isConnected) watched.get(el)?.();
});
