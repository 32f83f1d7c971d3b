"""`isocost export` and `isocost import`: files written and read back, the analysis JSON, PyTorch
modules traced with torch.fx, and exit status 2 naming what was refused."""

from __future__ import annotations

import json

import numpy as np
from onnx import helper

from app.arch.analysis import analyse
from app.arch.presets import presets
from app.cli import main
from tests.interchange_support import conv, conv_weights, model_bytes

PLAIN_NET = """
from torch import nn


def build():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10),
    )


def residual():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 1, 3, padding=1)

        def forward(self, x):
            return x + self.conv(x)

    return Block()
"""


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_export_then_import_gives_the_same_analysis(capsys, tmp_path) -> None:
    path = tmp_path / "e.onnx"
    code, _, err = run(capsys, "export", "E'", "--format", "onnx", "-o", str(path))
    assert code == 0 and f"wrote {path}" in err
    code, out, _ = run(capsys, "import", str(path), "--json")
    assert code == 0
    imported, expected = json.loads(out), json.loads(analyse(presets()["E'"].spec).model_dump_json())
    assert {k: imported[k] for k in ("notation", "conv_macs", "spec_hash")} == {
        k: expected[k] for k in ("notation", "conv_macs", "spec_hash")
    }
    code, out, _ = run(capsys, "import", str(path))
    assert code == 0 and out.startswith(presets()["E'"].notation) and "876,188,352 MACs" in out


def test_export_pytorch_source_and_trace_it_back(capsys, tmp_path) -> None:
    path = tmp_path / "net.py"
    code, _, _ = run(
        capsys,
        "export",
        "(3,16) + pool 2 + (2,32) + gap + fc 5",
        "--input",
        "16",
        "--format",
        "pytorch",
        "-o",
        str(path),
    )
    assert code == 0 and "class Net(nn.Module)" in path.read_text()
    code, out, _ = run(capsys, "import", f"{path}:Net", "--input", "16", "--json")
    assert code == 0
    assert json.loads(out)["notation"] == "(3,16) pad 1 + pool 2 | (2,32) pad 0:1:0:1 + gap + fc 5"


def test_import_a_module_written_in_pytorch(capsys, tmp_path) -> None:
    path = tmp_path / "plain.py"
    path.write_text(PLAIN_NET)
    code, out, _ = run(capsys, "import", f"{path}:build", "--input", "12", "--channels", "1")
    assert code == 0
    assert out.splitlines()[0] == "(3,8) pad 1 + pool 2 | (3,16) pad 0 + gap + fc 10"
    assert "input 1x12x12" in out
    code, _, err = run(capsys, "import", f"{path}:residual", "--input", "12", "--channels", "1")
    assert code == 2 and "node 'add' (add): adds two tensors (a residual connection)" in err


def test_refusals_and_limits_exit_2(capsys, tmp_path, monkeypatch) -> None:
    path = tmp_path / "bad.onnx"
    nodes = [conv("c1", "x", "c"), helper.make_node("Tanh", ["c"], ["y"], name="squash")]
    path.write_bytes(model_bytes(nodes, conv_weights("c1", 4, 3, 3)))
    code, _, err = run(capsys, "import", str(path))
    assert code == 2 and err.startswith(
        "isocost import: error: node 'squash' (Tanh): an activation other than ReLU"
    )
    from app.settings import get_settings

    monkeypatch.setenv("ISOCOST_MAX_IMPORT_BYTES", "1024")
    get_settings.cache_clear()
    try:
        path.write_bytes(np.zeros(2000, np.uint8).tobytes())
        code, _, err = run(capsys, "import", str(path))
        assert code == 2 and "the limit is 1,024 (ISOCOST_MAX_IMPORT_BYTES)" in err
    finally:
        get_settings.cache_clear()
    code, _, err = run(capsys, "import", str(tmp_path / "missing.onnx"))
    assert code == 2 and "cannot read" in err
