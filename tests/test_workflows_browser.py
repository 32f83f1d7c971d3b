"""Workflows in a real browser (Debian's chromium, Playwright, a real uvicorn), items 1-4 of the
issue: the Architectures page; nothing typed is lost (undo, redo, a question before a draft is
replaced, name and origin that follow the edits); shareable designs and filters in the address;
the replacement assistant's preview and "= model F". Screenshots at 1280 and 400 px go to
/tmp/shots (tests/workflows_support.py)."""

from __future__ import annotations

import re
import uuid
from urllib.parse import parse_qs, quote, urlparse

import pytest

from app.arch.analysis import analyse
from app.arch.presets import presets
from app.db import session_scope
from app.jobs.models import Job, Result
from tests.browser_support import (
    NARROW,
    S36,
    WIDE,
    another_team,
    save_design,
    team_id,
    type_notation,
    wait_total,
)
from tests.workflows_support import Client, both_widths, shoot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

B_LIKE = "(3,16) + pool 3 | (5,32) + pool 2 | (2,64)x6 + spp(2,1) + fc 512 + fc 10"


def c_of(preset: str) -> int:
    return analyse(presets()[preset].spec).conv_macs


def answer(page, yes: bool) -> str:
    """Answer the page's question (confirm.js); returns its title."""
    dialog = page.locator("#confirm-dialog")
    dialog.wait_for()
    title = page.locator("#confirm-title").inner_text()
    page.click("#confirm-yes" if yes else "#confirm-no")
    dialog.wait_for(state="detached")
    return title


def test_the_architectures_page_lists_searches_and_manages_designs(server, browser_page) -> None:
    api = Client(server)
    tag = uuid.uuid4().hex[:6]
    parent = api.save("A-s36", name=f"base-{tag}")
    child = api.save("F-s36", name=f"child-{tag}", parent_id=parent["id"])
    used = api.save("B-s36", name=f"used-{tag}")
    spare = api.save("C-s36", name=f"spare-{tag}")
    with session_scope(server.settings.database_url) as session:  # two finished runs of `used`
        for seed, error in enumerate((3.5, 4.25)):
            job = Job(team_id=team_id(server), architecture_id=used["id"], kind="train", queue="cpu", status="succeeded",
                      params={"epochs": 1, "seed": seed}, protocol="digits, 1 epoch", progress=1.0)  # fmt: skip
            session.add(job)
            session.flush()
            session.add(Result(job_id=job.id, architecture_id=used["id"], team_id=job.team_id, kind="train",
                               protocol=job.protocol, dataset="digits", seed=seed, conv_macs=used["conv_macs"],
                               top1_error=error, top5_error=0.5, provenance={}))  # fmt: skip
    rival, rival_token = another_team(server)
    theirs = Client(server, rival_token).save("G-s36", name=f"theirs-{tag}", published=True)

    page, console = browser_page(WIDE, signed_in=True)
    page.click("nav >> text=Architectures")
    row = page.locator(f"#arch-table tr[data-id='{used['id']}']")
    row.wait_for()
    assert row.locator("td.best").inner_text() == "3.50 %" and row.locator("td.runs").inner_text() == "2"
    cells = row.inner_text()
    assert (
        "8" in cells
        and "3×36×36" in cells
        and "5.65 M MACs" in cells
        and "private" in cells
        and "(you)" in cells
    )
    # search, then every team's published ones
    page.fill("#arch-q", f"child-{tag}")
    page.wait_for_function("n => document.querySelectorAll('#arch-table tbody tr').length === n", arg=1)
    assert "q=child-" in page.url
    page.fill("#arch-q", tag)
    page.select_option("#arch-scope", "public")
    their_row = page.locator(f"#arch-table tr[data-id='{theirs['id']}']")
    their_row.wait_for()
    assert rival in their_row.inner_text() and their_row.locator("[data-action='delete']").count() == 0
    # lineage: the child under its parent
    page.locator(f"#arch-table tr[data-id='{child['id']}'] [data-action='lineage']").click()
    page.locator(
        f"#lineage li[data-id='{parent['id']}'] li[data-id='{child['id']}'] .node.current"
    ).wait_for()
    # publish, then unpublish
    page.locator(f"#arch-table tr[data-id='{parent['id']}'] [data-action='publish']").click()
    page.locator(f"#arch-table tr[data-id='{parent['id']}'] .badge.in").wait_for()
    assert api.get(f"/architectures/{parent['id']}")["published"] is True
    # rename; a reload of the list meanwhile (here: the unpublish) keeps what was typed
    page.locator(f"#arch-table tr[data-id='{child['id']}'] [data-action='rename']").click()
    page.fill(f"#rename-{child['id']}", f"renamed-{tag}")
    page.locator(f"#arch-table tr[data-id='{parent['id']}'] [data-action='publish']").click()
    page.locator(f"#arch-table tr[data-id='{parent['id']}'] .badge.in").wait_for(state="detached")
    assert api.get(f"/architectures/{parent['id']}")["published"] is False
    assert page.input_value(f"#rename-{child['id']}") == f"renamed-{tag}"
    page.press(f"#rename-{child['id']}", "Enter")
    page.locator("#arch-status .ok", has_text=f"renamed-{tag}").wait_for()
    assert api.get(f"/architectures/{child['id']}")["name"] == f"renamed-{tag}"
    # delete: a design used by a job says why not; an unused one goes, after a question
    page.locator(f"#arch-table tr[data-id='{used['id']}'] [data-action='delete']").click()
    assert "cannot be deleted: a job used it" in page.locator("#arch-status .error").inner_text()
    page.locator(f"#arch-table tr[data-id='{spare['id']}'] [data-action='delete']").click()
    assert spare["name"] in answer(page, yes=True)
    page.locator(f"#arch-table tr[data-id='{spare['id']}']").wait_for(state="detached")
    api.call("GET", f"/architectures/{spare['id']}", expect=404)
    # select two to diff them
    for arch in (parent, child):
        page.locator(f"input[data-select='{arch['id']}']").check()
    page.click("#arch-diff")
    changed = page.locator("#arch-diff tbody tr.changed")
    changed.first.wait_for()
    assert {changed.nth(i).get_attribute("data-layer") for i in range(changed.count())} >= {
        "conv3",
        "conv4",
        "conv5",
    }
    # several to compare their runs
    page.locator(f"input[data-select='{used['id']}']").check()
    page.click("#arch-compare")
    compared = page.locator(f"#arch-compare tr[data-id='{used['id']}'] td.mean")
    compared.wait_for()
    assert compared.inner_text() == "3.88 % ± 0.53 %"
    # or start a study: one training job per architecture and seed
    page.click("#arch-clear")
    page.locator(f"input[data-select='{parent['id']}']").check()
    page.click("#arch-study")
    page.fill("#study-seeds", "0, 1")
    page.click("#study-submit")
    page.locator("#study-status .ok").wait_for()
    study = api.get("/studies")["items"][0]
    assert study["name"] == parent["name"] and api.get("/jobs", architecture_id=parent["id"])["total"] == 2
    # open in the editor
    page.locator(f"#arch-table tr[data-id='{parent['id']}'] a", has_text="Open").click()
    wait_total(page, parent["conv_macs"])
    assert f"architecture #{parent['id']}" in page.locator("#origin").inner_text()
    assert console.errors() == []
    both_widths(browser_page, "architectures", f"#/architectures?scope=public&q={tag}", "#arch-table", server)


def test_nothing_typed_is_lost(server, browser_page) -> None:
    page, console = browser_page(WIDE, signed_in=True)
    wait_total(page, c_of("A-s36"))
    type_notation(page, B_LIKE)
    b_like = Client(server).post("/complexity", {"notation": B_LIKE, "input": S36}, expect=200)
    wait_total(page, b_like["conv_macs"])
    # choosing a preset asks first; "keep editing" keeps every character
    page.select_option("#preset-select", "C-s36")
    assert answer(page, yes=False) == "Replace your unsaved design?"
    assert page.locator("#notation").input_value() == B_LIKE
    page.select_option("#preset-select", "C-s36")
    answer(page, yes=True)
    wait_total(page, c_of("C-s36"))
    # Ctrl+Z brings the typed design back, Ctrl+Shift+Z the preset again
    page.keyboard.press("Control+z")
    wait_total(page, b_like["conv_macs"])
    assert page.locator("#notation").input_value() == B_LIKE
    page.keyboard.press("Control+Shift+z")
    wait_total(page, c_of("C-s36"))
    # a removed row comes back with the Undo button
    rows = page.locator("#layer-table tbody tr[data-index]")
    count = rows.count()
    page.locator("tr[data-index='2'] [data-action='remove']").click()
    page.wait_for_function(
        "n => document.querySelectorAll('#layer-table tbody tr[data-index]').length === n", arg=count - 1
    )
    page.click("#undo")
    wait_total(page, c_of("C-s36"))
    page.wait_for_function(
        "n => document.querySelectorAll('#layer-table tbody tr[data-index]').length === n", arg=count
    )
    # the name and the origin follow the edits
    assert page.locator("#design-name").input_value() == "C-s36"
    width = page.locator("tr[data-index='4'] [data-key='filters']")
    width.fill("40")
    page.locator("#origin", has_text="Modified from preset C-s36").wait_for()
    assert page.locator("#design-name").input_value() == "C-s36-modified"
    save_design(page)  # under the name it shows
    names = [a["name"] for a in Client(server).get("/architectures", per_page=100)["items"]]
    assert "C-s36-modified" in names and "C-s36" not in names
    page.click("#undo")  # back before the width change: the preset's own name again
    page.locator("#origin", has_text="From preset C-s36").wait_for()
    assert page.locator("#design-name").input_value() == "C-s36"
    # a relation node's link and a replacement ask before replacing an edited draft
    type_notation(page, B_LIKE)
    wait_total(page, b_like["conv_macs"])
    page.goto(f"{server.url}/#/relations?scale=s36&view=1")
    page.get_by_role("link", name="Open B-s36 in the editor").click()
    assert answer(page, yes=False) == "Replace your unsaved design?"
    assert "#/relations" in page.url
    page.click("nav >> text=Editor")
    wait_total(page, b_like["conv_macs"])
    assert page.locator("#notation").input_value() == B_LIKE
    page.click("nav >> text=Replacements")
    page.fill("#rp-depth", "4")
    page.click("#find-candidates")
    page.get_by_role("button", name=re.compile("^Apply candidate 1")).click()
    answer(page, yes=False)
    assert "#/replace" in page.url
    assert console.errors() == []
    both_widths(browser_page, "undo", "#/editor", "#undo", server)


def test_designs_and_filters_are_shareable_links(server, browser_page, seeded) -> None:
    api = Client(server)
    analysis = api.post("/complexity", {"notation": B_LIKE, "input": S36}, expect=200)
    page, console = browser_page(WIDE, signed_in=True)
    page.goto(f"{server.url}/#/editor?notation={quote(B_LIKE)}&input=3x36x36&name=shared")
    wait_total(page, analysis["conv_macs"])
    assert page.url.endswith("#/editor") and "shared link" in page.locator("#origin").inner_text()
    assert page.locator("#design-name").input_value() == "shared"
    page.click("#copy-link")
    link = page.locator("#share-link").input_value()
    query = parse_qs(urlparse(link).fragment.split("?", 1)[1])
    assert query == {"notation": [analysis["notation"]], "input": ["3x36x36"], "name": ["shared"]}
    other, _ = browser_page(NARROW)
    other.goto(link)
    wait_total(other, analysis["conv_macs"])
    # the leaderboard's budget, protocol and team filters are in the address
    budget = next(b for b in api.get("/budgets") if b["name"] == "A-s36")
    page.goto(
        f"{server.url}/#/leaderboard?budget={budget['id']}&protocol={quote('digits, 3 epochs')}&team={server.team}"
    )
    page.locator("#leaderboard-table tbody tr").first.wait_for()
    assert page.locator("#lb-protocol").input_value() == "digits, 3 epochs"
    assert page.locator("#lb-team").input_value() == server.team
    page.fill("#lb-team", "nobody")
    page.press("#lb-team", "Enter")
    page.locator("#budget-panel .empty").wait_for()
    assert "team=nobody" in page.url and "protocol=digits" in page.url
    page.reload()
    page.locator("#budget-panel .empty").wait_for()
    assert page.locator("#lb-team").input_value() == "nobody"
    # and the jobs list's
    page.goto(f"{server.url}/#/jobs?status=succeeded&kind=benchmark")
    page.locator("#jobs-table tbody tr").first.wait_for()
    kinds = page.locator("#jobs-table tbody tr td:nth-child(3)").all_inner_texts()
    assert set(kinds) == {"benchmark"} and page.locator("#jobs-status").input_value() == "succeeded"
    page.select_option("#jobs-kind", "train")
    page.wait_for_function("() => location.hash.includes('kind=train')")
    assert "status=succeeded" in page.url
    page.goto(f"{server.url}/#/jobs?kind=calibrate")  # every kind of the vocabulary, calibrate too
    page.locator("#jobs-table, #jobs-body .empty").first.wait_for()
    assert page.locator("#jobs-kind").input_value() == "calibrate" and "kind=calibrate" in page.url
    assert console.errors() == []
    both_widths(
        browser_page,
        "leaderboard-filters",
        f"#/leaderboard?budget={budget['id']}&protocol=digits%2C%203%20epochs",
        "#leaderboard-table",
        server,
    )


def test_the_replacement_assistant_previews_and_names_the_paper_model(server, browser_page) -> None:
    page, console = browser_page(WIDE)
    wait_total(page, c_of("A-s36"))
    page.click("nav >> text=Replacements")
    page.check("#tradeoff-deeper")
    page.fill("#rp-depth", "6")
    page.click("#find-candidates")
    first = page.locator("#candidate-table tbody tr").first
    first.wait_for()
    assert "= model F" in first.locator(".badge.model").inner_text()
    notation_before = page.locator("#replace-notation").inner_text()
    page.get_by_label(re.compile("^Preview candidate 1")).check()
    preview = page.locator("#preview-diff")
    preview.wait_for()
    changed = preview.locator("tbody tr.changed")
    assert {changed.nth(i).get_attribute("data-layer") for i in range(changed.count())} == {
        f"conv{i}" for i in range(3, 9)
    }
    assert "(3,40)x5 + (3,64)" in page.locator("#candidate-preview .notations").inner_text()
    assert page.url.endswith("#/replace")  # previewing changes nothing
    shoot(page, "replace-preview")
    page.click("#preview-apply")
    page.wait_for_url(re.compile(r"#/editor$"))
    wait_total(page, c_of("F-s36"))
    assert page.locator("#notation").input_value() != notation_before
    assert console.errors() == []
    narrow, console = browser_page(NARROW)
    narrow.click("nav >> text=Replacements")
    narrow.fill("#rp-depth", "6")
    narrow.click("#find-candidates")
    narrow.get_by_label(re.compile("^Preview candidate 1")).check()
    narrow.locator("#preview-diff").wait_for()
    shoot(narrow, "replace-preview")
    assert console.errors() == []
