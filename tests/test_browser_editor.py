"""The editor in a real browser (Debian's chromium driven by Playwright against a real uvicorn
server on a free loopback port; fixtures in tests/conftest.py): live numbers as one types, inline
errors that keep the text, replacements at a fixed cost, saved designs known by their spec_hash,
and forms that read the API's vocabulary. Skipped locally without chromium or Playwright;
required on CI. Every test ends by asserting that the page logged no console errors.
"""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from app.arch.layers import LAYER_KINDS
from app.arch.units import UNIT_SENTENCE, format_macs
from app.jobs.status import JobStatus
from tests.browser_support import S36, save_design, total_text, type_at_s36, wait_total

pytestmark = [pytest.mark.browser, pytest.mark.slow]

B_LIKE = "(3,16) + pool 3 | (5,32) + pool 2 | (2,64)x6 + spp(2,1) + fc 512 + fc 10"


def test_typing_a_notation_shows_the_apis_numbers(server, browser_page) -> None:
    page, console = browser_page()
    api = type_at_s36(page, server, B_LIKE)
    assert total_text(page) == f"{api['conv_macs']:,} MACs"
    assert page.locator("#total-fc").inner_text() == f"{api['fc_macs']:,} MACs"
    # the unrolled per-layer table: one row per layer of the API's analysis, same MACs and shares
    rows = page.locator("#analysis-table tbody tr")
    assert rows.count() == len(api["layers"])
    for i, layer in enumerate(api["layers"]):
        row = rows.nth(i)
        assert row.get_attribute("data-name") == layer["name"]
        assert row.locator("td.macs").inner_text() == f"{layer['macs']:,}"
        share = f"{layer['share'] * 100:.1f} %" if layer["kind"] == "conv" else "—"
        assert row.locator("td.share").inner_text() == share
    # the layer table follows: one row per spec layer, (2,64)x6 as one row of 6 repeats
    assert page.locator("#layer-table tbody tr[data-index]").count() == len(api["spec"]["layers"])
    assert page.locator("tr[data-index='4'] [data-key='repeat']").input_value() == "6"
    # the chart is the server's figure for the same spec
    page.wait_for_function(
        "n => (document.getElementById('layer-chart').data || [])[0]?.y?.length === n",
        arg=sum(layer["kind"] == "conv" for layer in api["layers"]),
    )
    assert console.errors() == []


def test_changing_a_width_updates_the_total_and_the_notation(server, browser_page) -> None:
    page, console = browser_page()
    before = server.post("/complexity", {"preset": "A-s36"})
    wait_total(page, before["conv_macs"])
    filters = page.locator("tr[data-index='4'] [data-key='filters']")  # (3,64)x3
    filters.fill("")
    filters.press_sequentially("48")
    after = server.post(
        "/complexity", {"notation": before["notation"].replace("(3,64)x3", "(3,48)x3"), "input": S36}
    )
    wait_total(page, after["conv_macs"])
    assert after["conv_macs"] < before["conv_macs"]
    page.wait_for_function("n => document.getElementById('notation').value === n", arg=after["notation"])
    # the share column of the row follows too
    share = sum(layer["share"] for layer in after["layers"] if layer["spec_index"] == 4)
    assert page.locator("tr[data-index='4'] td.share").inner_text() == f"{share * 100:.1f} %"
    # keyboard: Alt+Shift+Down duplicates the focused layer, Alt+Delete removes it again
    shown = total_text(page)
    filters.press("Alt+Shift+ArrowDown")
    assert page.locator("#layer-table tbody tr[data-index]").count() == len(after["spec"]["layers"]) + 1
    page.wait_for_function("t => document.getElementById('total-macs').textContent !== t", arg=shown)
    page.locator("tr[data-index='5'] [data-key='filters']").press("Alt+Delete")
    wait_total(page, after["conv_macs"])
    assert console.errors() == []


def test_invalid_stacks_show_the_error_inline_and_keep_the_text(server, browser_page) -> None:
    page, console = browser_page()
    console.allow.append(r"status of 422")  # the browser logs each rejected request; expected here
    wait_total(page, server.post("/complexity", {"preset": "A-s36"})["conv_macs"])
    good_total = total_text(page)

    broken = "(3,16) + pool 3 | (5,32) + poool 2 | (3,64)x3 + spp(2,1) + fc 10"
    page.fill("#notation", broken)
    error = page.locator("#notation-error .error")
    error.wait_for()
    assert (
        "position 27" in error.inner_text() and "poool" in page.locator("#notation-error mark").inner_text()
    )
    assert page.locator("#notation").input_value() == broken  # nothing typed is lost
    assert page.locator("#notation").get_attribute("aria-invalid") == "true"
    assert page.locator("#layer-table").get_attribute("class").endswith("stale")
    assert total_text(page) == good_total  # the last valid numbers stay, marked stale

    page.fill("#notation", broken.replace("poool", "pool"))
    error.wait_for(state="detached")

    size = page.locator("tr[data-index='1'] [data-key='size']")  # pool 3 -> pool 50 at 36x36
    size.fill("50")
    message = page.locator("tr.err td.err-msg")
    message.wait_for()
    assert "smaller than the 50x50 window" in message.inner_text()
    assert message.inner_text().startswith("Layer 2:")
    assert size.get_attribute("aria-invalid") == "true" and size.input_value() == "50"
    assert page.locator("#notation").get_attribute("readonly") is not None
    size.fill("3")
    message.wait_for(state="detached")
    assert total_text(page) == good_total
    assert console.errors() == []


def test_a_replacement_keeps_the_cost_within_tolerance(server, browser_page) -> None:
    page, console = browser_page()
    wait_total(page, server.post("/complexity", {"preset": "A-s36"})["conv_macs"])
    page.click("nav >> text=Replacements")
    page.locator("#range-first").wait_for()
    assert (
        page.locator("#range-first").input_value() == "3" and page.locator("#range-last").input_value() == "5"
    )
    page.check("#tradeoff-deeper")
    page.fill("#rp-depth", "6")
    page.click("#find-candidates")
    first = page.locator("#candidate-table tbody tr").first
    first.wait_for()
    assert "within" in first.inner_text()
    first.get_by_role("button", name=re.compile("^Apply candidate 1")).click()
    page.wait_for_url(re.compile(r"#/editor$"))
    page.locator("#budget-status .badge.in").wait_for()
    status = page.locator("#budget-status").inner_text()
    assert "within the ±5 % band" in status
    notation = page.locator("#notation").input_value()
    assert "(3,40)x5 + (3,64)" in notation  # F-s36's stage 3: A -> F in the paper's Fig. 2
    ratio = float(re.search(r"C is ([0-9.]+)×", status).group(1))
    assert abs(ratio - 1) <= 0.05
    assert "replacement" in page.locator("#origin").inner_text()
    assert console.errors() == []


def test_a_saved_design_is_recognised_by_its_spec_hash(server, browser_page) -> None:
    """The dashboard knows a draft is saved by the analysis's spec_hash, not by its notation."""
    page, console = browser_page(signed_in=True)
    a = server.post("/complexity", {"preset": "A-s36"})
    wait_total(page, a["conv_macs"])
    page.fill("#design-name", f"same-{uuid.uuid4().hex[:6]}")
    page.click("#save-button")
    saved = page.locator("text=/Saved as architecture #\\d+\\./")
    saved.wait_for()
    arch_id = int(re.search(r"#(\d+)", saved.inner_text()).group(1))
    # the same network with its repeat typed out: another notation, the same identity
    unrolled = a["notation"].replace("(3,64)x3", "(3,64) + (3,64) + (3,64)")
    assert server.post("/complexity", {"notation": unrolled, "input": S36})["spec_hash"] == a["spec_hash"]
    page.fill("#notation", unrolled)
    rows = len(a["spec"]["layers"]) + 2
    page.wait_for_function(
        "n => document.querySelectorAll('#layer-table tbody tr[data-index]').length === n", arg=rows
    )
    assert saved.is_visible() and page.locator("#job-form").is_visible()
    page.fill("#notation", a["notation"].replace("(3,64)x3", "(3,48)x3"))  # a different network
    page.locator("text=Save this design first").wait_for()
    assert saved.count() == 0
    page.goto(f"{server.url}/#/editor?arch={arch_id}")  # opened from the team's list: saved
    page.locator("#job-form").wait_for()
    assert console.errors() == []


def test_the_forms_read_the_apis_vocabulary(server, browser_page) -> None:
    """Layer kinds, job statuses, the unit sentence and MAC prefixes come from GET /vocabulary."""
    page, console = browser_page(signed_in=True)
    c = server.post("/complexity", {"preset": "A-s36"})["conv_macs"]
    wait_total(page, c)
    assert page.locator("#totals .unit").inner_text() == f"{format_macs(c)} · {UNIT_SENTENCE}"
    options = "select => [...select.options].map(o => o.value)"
    kinds = page.locator("tr[data-index='0'] select[data-key='type']").evaluate(options)
    assert kinds == list(LAYER_KINDS)
    page.goto(f"{server.url}/#/jobs")
    assert page.locator("#jobs-status").evaluate(options) == ["", *(s.value for s in JobStatus)]
    assert console.errors() == []


def test_an_applied_replacement_records_its_parent_when_saved(server, browser_page) -> None:
    page, console = browser_page(signed_in=True)
    wait_total(page, server.post("/complexity", {"preset": "A-s36"})["conv_macs"])
    parent_name = f"parent-{uuid.uuid4().hex[:6]}"
    parent_id = save_design(page, parent_name)
    page.click("nav >> text=Replacements")
    page.check("#tradeoff-smaller")  # (3,64)x3 -> 2x2 filters, width kept, depth solved
    page.fill("#rp-small-size", "2")
    page.click("#find-candidates")
    page.locator("#candidate-table tbody tr").first.get_by_role("button").click()
    page.wait_for_url(re.compile(r"#/editor$"))
    page.locator("#origin", has_text=f"parent when saved: #{parent_id} {parent_name}").wait_for()
    child_name = f"child-{uuid.uuid4().hex[:6]}"
    save_design(page, child_name)
    headers = {"Authorization": f"Bearer {server.token}"}
    # search by name: the shared server holds more architectures than one page by now
    by_name = {}
    for name in (child_name, parent_name):
        found = httpx.get(f"{server.url}/api/v1/architectures", headers=headers, params={"q": name}).json()
        by_name.update({a["name"]: a for a in found["items"]})
    assert by_name[child_name]["parent_id"] == by_name[parent_name]["id"] == parent_id
    assert "(2,64)x" in by_name[child_name]["notation"]
    assert console.errors() == []
