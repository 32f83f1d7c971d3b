"""The editor's live analysis in a real browser: time from an edit to the updated total, measured
inside the page, on a 50-layer stack, against the bare POST /complexity round trip from the same
page as the baseline.

In the page, a capture-phase `input` listener stamps performance.now() when the edit happens and
a MutationObserver on the total stamps it again when the DOM shows the new number (and once more
at the next animation frame, when it can be painted). Playwright only drives the edits; its own
call latency (tens of ms) is not in the numbers.
"""

from __future__ import annotations

import tempfile

from bench.browser import bare_analyses, chromium_for, load_stack, migrated, page_on
from bench.timing import save, summarise_ms

EDITS = 50
PAUSE_MS = 100  # between edits: about ten keystrokes a second

PROBE = """() => {
    const bench = (window.__bench = { t0: null, dom: [], frame: [], waiter: null });
    document.addEventListener("input", () => { bench.t0 = performance.now(); }, true);
    const total = document.getElementById("total-macs");
    new MutationObserver(() => {
        if (bench.t0 === null) return;
        const t0 = bench.t0;
        bench.t0 = null;
        bench.dom.push(performance.now() - t0);
        requestAnimationFrame(() => {
            bench.frame.push(performance.now() - t0);
            if (bench.waiter) bench.waiter();
        });
    }).observe(total, { childList: true, characterData: true, subtree: true });
    // resolves once n samples are in, without polling (polling every frame would load the CPU)
    bench.until = (n) => new Promise((resolve) => {
        const check = () => { if (bench.frame.length >= n) { bench.waiter = null; resolve(); } };
        bench.waiter = check;
        check();
    });
}"""


def stack_notation() -> str:
    """50 layers, one table row each: five stages of nine 3x3 convs at 36, 18, 9, 4 and 2 px,
    max pools between them, and a classifier."""
    stages = [" + ".join([f"(3,{16 * (i + 1)})"] * 9) for i in range(5)]
    return " + pool 2 | ".join(stages) + " + fc 10"


def _edits(page, kind: str, notation: str) -> tuple[list[float], list[float]]:
    """EDITS edits of one kind, each waited for; returns (to DOM, to next frame) in ms."""
    page.evaluate("window.__bench.dom = []; window.__bench.frame = []")
    items = notation.replace(" | ", " + ").split(" + ")
    convs = [(row, int(item[3:-1])) for row, item in enumerate(items) if item.startswith("(3,")]
    for i in range(EDITS):
        if kind == "table":  # one conv's width, +1 (+2 on the second round): the total always moves
            row, width = convs[i % len(convs)]
            page.locator(f"tr[data-index='{row}'] [data-key='filters']").fill(
                str(width + 1 + i // len(convs))
            )
        else:  # the whole text with conv1's width changed, as one input event
            page.locator("#notation").fill(notation.replace("(3,16)", f"(3,{20 + 8 * (i % 5)})", 1))
        page.evaluate("n => window.__bench.until(n)", i + 1)
        page.wait_for_timeout(PAUSE_MS)
    return page.evaluate("window.__bench.dom"), page.evaluate("window.__bench.frame")


def main() -> None:
    chromium = chromium_for("editor")
    if chromium is None:
        return
    notation = stack_notation()
    with tempfile.TemporaryDirectory() as tmp, page_on(migrated(tmp), tmp, chromium) as (url, page):
        page.goto(f"{url}/#/editor")
        load_stack(page, notation, layers=50)
        page.evaluate(PROBE)
        layers = page.locator("#layer-table tbody tr[data-index]").count()

        table_dom, table_frame = _edits(page, "table", notation)
        notation_dom, notation_frame = _edits(page, "notation", notation)
        baseline = bare_analyses(page, url, notation, EDITS, pause_ms=20)

    rows = {
        "table edit -> total in the DOM": summarise_ms(table_dom),
        "table edit -> next frame": summarise_ms(table_frame),
        "notation edit -> total in the DOM": summarise_ms(notation_dom),
        "notation edit -> next frame": summarise_ms(notation_frame),
        "baseline: bare POST /complexity from the page": summarise_ms(baseline),
    }
    print(f"editor, {layers}-layer stack ({len(notation)}-character notation), {EDITS} edits each, "
          f"{PAUSE_MS} ms apart; timed in the page with performance.now():")  # fmt: skip
    for name, timing in rows.items():
        print(f"  {name:48} {timing}")
    base_median = rows["baseline: bare POST /complexity from the page"].median_s
    for name in ("table edit -> total in the DOM", "notation edit -> total in the DOM"):
        print(f"  ratio {name} / baseline: {rows[name].median_s / base_median:.2f}x")
    results = {"layers": layers, "edits": EDITS, "pause_ms": PAUSE_MS, **rows}
    save("editor", results)


if __name__ == "__main__":
    main()
