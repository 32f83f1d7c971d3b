"""The dashboard's interchange buttons in a real browser (chromium through Playwright, a real
uvicorn): the editor exports ONNX and PyTorch, takes a dropped .onnx file (and names the node of
one it refuses), and the job page downloads trained weights. Skipped locally without chromium."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest
from onnx import helper
from sqlalchemy import select

from app.arch.analysis import analyse
from app.arch.notation import parse
from app.arch.spec import InputShape
from app.db import session_scope
from app.interchange.onnx_export import onnx_bytes
from app.interchange.onnx_import import import_onnx
from app.interchange.weights import weights_path
from app.teams.models import Team
from tests.browser_support import wait_total
from tests.interchange_support import LIMITS, conv, conv_weights, model_bytes
from tests.jobs_support import add_architecture, add_job

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DROP = """([data, name]) => {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name));
  document.getElementById("notation").dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
}"""


def test_the_editor_exports_and_takes_a_dropped_onnx_file(server, browser_page) -> None:
    page, console = browser_page()
    console.allow.append("status of 422")  # the refused file below: the browser logs the answer
    shown = server.post("/complexity", {"preset": "A-s36"})
    wait_total(page, shown["conv_macs"])
    with page.expect_download() as download:
        page.click("#export-onnx")
    data = Path(download.value.path()).read_bytes()
    assert download.value.suggested_filename.endswith(".onnx")
    assert analyse(import_onnx(data, LIMITS)).notation == shown["notation"]
    with page.expect_download() as download:
        page.click("#export-pytorch")
    assert "class Net(nn.Module):" in Path(download.value.path()).read_text()

    spec = parse("(3,8) + pool 2 | (3,16) + gap + fc 4", InputShape(channels=1, height=20, width=20))
    page.evaluate(DROP, [base64.b64encode(onnx_bytes(spec)).decode(), "small.onnx"])
    expected = analyse(spec)
    wait_total(page, expected.conv_macs)
    assert page.locator("#notation").input_value() == expected.notation
    assert (
        page.locator("#in-height").input_value() == "20" and page.locator("#in-channels").input_value() == "1"
    )
    assert "imported small.onnx" in page.locator("#origin").inner_text()

    nodes = [
        conv("c1", "x", "c"),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("BatchNormalization", ["r", "s", "s", "s", "s"], ["y"], name="bn1"),
    ]
    refused = model_bytes(nodes, {**conv_weights("c1", 4, 3, 3), "s": np.ones(4, np.float32)})
    page.set_input_files(
        "#import-file", files=[{"name": "bn.onnx", "mimeType": "application/octet-stream", "buffer": refused}]
    )
    page.wait_for_selector("#interchange-status .error")
    assert "node 'bn1' (BatchNormalization)" in page.locator("#interchange-status").inner_text()
    assert page.locator("#notation").input_value() == expected.notation  # the draft is kept
    assert console.errors() == []


def test_the_job_page_downloads_trained_weights(server, browser_page) -> None:
    with session_scope(server.settings.database_url) as session:
        team_id = session.scalar(select(Team.id).where(Team.name == server.team))
    job = add_job(
        server.settings.database_url,
        team_id,
        add_architecture(server.settings.database_url, team_id),
        status="succeeded",
    )
    for fmt in ("pt", "onnx"):
        path = weights_path(server.settings.checkpoint_dir, job, fmt)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"{fmt} weights".encode())
    page, console = browser_page(signed_in=True)
    page.goto(f"{server.url}/#/jobs/{job}")
    for fmt in ("pt", "onnx"):
        with page.expect_download() as download:
            page.click(f"#weights-{fmt}")
        assert Path(download.value.path()).read_bytes() == f"{fmt} weights".encode()
        assert download.value.suggested_filename.endswith(f"-job{job}.{fmt}")
    assert console.errors() == []
