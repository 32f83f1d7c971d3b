"""The `isocost` command line: tables, the documented JSON, and exit status 2 on bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from app.cli import main

LAYER_KEYS = {
    "index", "name", "spec_index", "kind", "in_channels", "out_channels", "kernel", "stride",
    "padding", "groups", "in_hw", "out_hw", "macs", "params", "activations", "share",
}  # fmt: skip


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_complexity_table_on_model_a(capsys) -> None:
    code, out, _ = run(capsys, "complexity", "A")
    assert code == 0
    assert "conv1  conv 7x7/2     3x224x224 -> 64x109x109  111,776,448" in out
    assert "conv MACs (C, Eqn. 1)  854,954,688 MACs (855 M MACs)" in out
    assert "1 MAC = 2 FLOPs" in out


def test_complexity_json_is_the_documented_object(capsys) -> None:
    code, out, _ = run(capsys, "complexity", "B", "--json", "--relative-to", "A")
    data = json.loads(out)
    assert code == 0
    assert set(data) == {
        "name",
        "notation",
        "spec_hash",
        "spec",
        "input",
        "unit",
        "convention",
        "conv_macs",
        "fc_macs",
        "params",
        "activations",
        "relative_to",
        "layers",
    }
    assert data["unit"] == "MAC" and data["name"] == "B"
    assert data["relative_to"]["name"] == "A" and data["relative_to"]["conv_macs"] == 854_954_688
    assert data["relative_to"]["ratio"] == pytest.approx(0.9876, abs=1e-4)
    assert set(data["layers"][0]) == LAYER_KEYS
    assert data["layers"][0]["padding"] == [0, 0, 0, 0]


def test_input_override_and_files(capsys, tmp_path) -> None:
    code, out, _ = run(capsys, "complexity", "(3,8)", "--input", "10", "--channels", "1", "--json")
    assert json.loads(out)["conv_macs"] == 1 * 9 * 8 * 100
    spec_file = tmp_path / "net.yaml"
    spec_file.write_text(
        "notation: (3,8) + gap + fc 10\ninput: {channels: 1, height: 10, width: 10}\nname: tiny\n"
    )
    code, out, _ = run(capsys, "complexity", str(spec_file), "--json")
    assert code == 0 and json.loads(out)["name"] == "tiny" and json.loads(out)["conv_macs"] == 7200
    json_file = tmp_path / "net.json"
    json_file.write_text(
        json.dumps(
            {
                "input": {"channels": 1, "height": 10, "width": 10},
                "layers": [{"type": "conv", "filters": 8, "size": 3}],
            }
        )
    )
    code, out, _ = run(capsys, "complexity", str(json_file), "--json")
    assert json.loads(out)["conv_macs"] == 7200


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["complexity", "(3,64"], "at position 5 (the end): expected ')'"),
        (["complexity", "(3,64) + (9,8) valid", "--input", "4"], "layers[1] (9,8) valid: the 4x4 input map"),
        (["complexity", "A", "--input", "0"], "input: Input should be greater than or equal to 1"),
        (["complexity", "missing.json"], "cannot read missing.json"),
        (["replace", "A", "--layers", "3-5", "--size", "3", "--depth", "6"], "--layers '3-5': expected I:J"),
        (["replace", "A", "--layers", "2:3", "--size", "3", "--depth", "2"], "span a pooling layer"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, argv: list[str], fragment: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert fragment in err and err.count("\n") == 1


def test_replace_and_presets(capsys) -> None:
    code, out, _ = run(capsys, "replace", "A", "--layers", "3:5", "--depth", "6", "--size", "3", "--json")
    best = json.loads(out)[0]
    assert code == 0 and best["width"] == 160 and best["change"] == 0.0
    code, out, _ = run(capsys, "presets", "--json")
    by_name = {p["name"]: p for p in json.loads(out)}
    assert len(by_name) == 28
    assert by_name["J'"]["reported"]["top5_error"] == 11.8
    assert by_name["A"]["reported"] is None
    code, out, _ = run(capsys, "presets")
    assert "unknown" in out and "11.8% top-5" in out


COMMANDS = [
    ["complexity"], ["presets"], ["replace"], ["serve"], ["worker"], ["db"], ["db", "upgrade"],
    ["team"], ["team", "create"], ["submit"],
]  # fmt: skip


def test_console_script_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "--help"], capture_output=True, text=True, check=True
    )
    assert "usage: isocost" in done.stdout


@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
def test_every_command_has_help(capsys, argv: list[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([*argv, "--help"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: isocost {' '.join(argv)}")
