"""Two workflows of the dashboard in a real browser, timed inside the page with performance.now():

- opening #/architectures with 500 saved architectures until the first page of the list is
  painted, against the bare GET /architectures the page makes (same query, from the same page);
- Ctrl+Z after an edit of a 50-layer stack until the restored total is painted, against the bare
  POST /complexity of that stack from the same page.

Each figure is the median of several runs with its spread; the ratio to its baseline, measured in
the same run, is what to compare between machines. bench/editor.py times keystroke to total.
"""

from __future__ import annotations

import tempfile
import uuid

from app.arch.analysis import analyse
from app.arch.identity import spec_hash
from app.arch.notation import format_spec, parse
from app.arch.spec import InputShape
from app.architectures.models import Architecture
from app.db import session_scope
from app.settings import Settings
from app.teams.auth import create_team
from bench.browser import bare_analyses, chromium_for, load_stack, migrated, page_on
from bench.editor import stack_notation
from bench.timing import save, summarise_ms
from tests.browser_support import EDITOR_READY

ARCHITECTURES = 500  # the per-team quota's default (ISOCOST_MAX_ARCHITECTURES_PER_TEAM)
RUNS = 20

# Stamps the hash change, and the frame after the list's rows are in the DOM.
OPEN_LIST = """async (rows) => {
    const t0 = performance.now();
    const painted = new Promise((resolve) => {
        const done = () => {
            if (document.querySelectorAll('#arch-table tbody tr').length < rows) return false;
            requestAnimationFrame(() => resolve(performance.now() - t0));
            return true;
        };
        const observer = new MutationObserver(() => { if (done()) observer.disconnect(); });
        observer.observe(document.getElementById('main'), { childList: true, subtree: true });
    });
    location.hash = '#/architectures';
    return painted;
}"""

FETCH = """async ([path, token, runs]) => {
    const out = [];
    for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        const response = await fetch(path, { headers: { Authorization: `Bearer ${token}` } });
        await response.json();
        out.push(performance.now() - t0);
    }
    return out;
}"""

# Ctrl+Z is stamped in the capture phase, before the editor's own listener; the restored total is
# stamped when the DOM shows `expected`, and again at the next frame.
UNDO = """(expected) => {
    let t0 = null;
    window.addEventListener('keydown', () => { t0 = performance.now(); }, { capture: true, once: true });
    const total = document.getElementById('total-macs');
    window.__undone = new Promise((resolve) => {
        const observer = new MutationObserver(() => {
            if (t0 === null || total.textContent !== expected) return;
            observer.disconnect();
            const dom = performance.now() - t0;
            requestAnimationFrame(() => resolve([dom, performance.now() - t0]));
        });
        observer.observe(total, { childList: true, characterData: true, subtree: true });
    });
}"""


def seed(settings: Settings) -> str:
    """A team with ARCHITECTURES saved architectures of different widths; returns its token."""
    with session_scope(settings.database_url) as session:
        team, token = create_team(session, f"bench-{uuid.uuid4().hex[:6]}")
        for i in range(ARCHITECTURES):
            spec = parse(
                f"(3,{8 + i % 64}) + pool 3 | (3,{16 + i % 32})x2 + gap + fc 10",
                InputShape(height=36, width=36),
            )
            session.add(Architecture(team_id=team.id, name=f"design-{i:03d}", spec=spec.model_dump(mode="json"),
                                     notation=format_spec(spec), conv_macs=analyse(spec).conv_macs,
                                     spec_hash=spec_hash(spec), published=i % 5 == 0))  # fmt: skip
    return token


def main() -> None:
    chromium = chromium_for("workflows")
    if chromium is None:
        return
    notation = stack_notation()
    with tempfile.TemporaryDirectory() as tmp:
        settings = migrated(tmp)
        token = seed(settings)
        with page_on(settings, tmp, chromium) as (url, page):
            page.goto(f"{url}/#token={token}")
            page.wait_for_function(EDITOR_READY)
            opened = []
            for _ in range(RUNS + 2):  # two warm-ups: module loading, the first query plans
                page.evaluate("location.hash = '#/signin'")
                page.locator("#signin-form").wait_for()
                opened.append(page.evaluate(OPEN_LIST, 50))
            opened = opened[2:]
            listed = page.evaluate(
                FETCH, ["/api/v1/architectures?scope=team&page=1&per_page=50", token, RUNS]
            )

            page.evaluate("location.hash = '#/editor'")
            load_stack(page, notation, layers=50)
            dom, frame = [], []
            for i in range(RUNS):
                before = page.locator("#total-macs").inner_text()
                page.locator("tr[data-index='0'] [data-key='filters']").fill(str(17 + i))  # one edit...
                page.wait_for_function(
                    "t => document.getElementById('total-macs').textContent !== t", arg=before
                )
                page.wait_for_timeout(900)  # ...its own undo step (typing pauses longer than 800 ms)
                page.evaluate(UNDO, before)
                page.keyboard.press("Control+z")  # ...undone
                d, f = page.evaluate("window.__undone")
                dom.append(d)
                frame.append(f)
                page.wait_for_timeout(100)
            posted = bare_analyses(page, url, notation, RUNS)

    rows = {
        f"open #/architectures ({ARCHITECTURES} saved) -> list painted": summarise_ms(opened),
        "baseline: bare GET /architectures (first page) from the page": summarise_ms(listed),
        "Ctrl+Z -> restored total in the DOM (50-layer stack)": summarise_ms(dom),
        "Ctrl+Z -> next frame": summarise_ms(frame),
        "baseline: bare POST /complexity from the page": summarise_ms(posted),
    }
    print(f"workflows, timed in the page with performance.now(), {RUNS} runs each:")
    for name, timing in rows.items():
        print(f"  {name:62} {timing}")
    names = list(rows)
    print(
        f"  ratio list painted / bare list request: {rows[names[0]].median_s / rows[names[1]].median_s:.2f}x"
    )
    print(
        f"  ratio undo to total / bare analysis request: {rows[names[2]].median_s / rows[names[4]].median_s:.2f}x"
    )
    save("workflows", {"architectures": ARCHITECTURES, "runs": RUNS, **rows})


if __name__ == "__main__":
    main()
