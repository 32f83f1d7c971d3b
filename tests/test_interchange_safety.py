"""An ONNX file is untrusted input: size, node and parameter limits, no external data followed,
nothing but the standard domain, and protobuf's errors are a 422 naming the body, never a 500."""

from __future__ import annotations

import contextlib

import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import helper

from app.arch.presets import presets
from app.exceptions import Invalid
from app.interchange.onnx_export import onnx_bytes, to_onnx
from app.interchange.onnx_import import ImportLimits, import_onnx
from tests.interchange_support import LIMITS, conv, conv_weights, model_bytes

A_S36 = onnx_bytes(presets()["A-s36"].spec)


def refused(data: bytes, limits: ImportLimits = LIMITS) -> Invalid:
    with pytest.raises(Invalid) as caught:
        import_onnx(data, limits)
    return caught.value


def test_size_node_and_parameter_limits() -> None:
    error = refused(A_S36, ImportLimits(len(A_S36) - 1, 10_000, 10**10))
    assert error.field == "body" and f"the limit is {len(A_S36) - 1:,}" in error.message
    nodes = len(to_onnx(presets()["A-s36"].spec).graph.node)
    error = refused(A_S36, ImportLimits(10**9, nodes - 1, 10**10))
    assert error.field == "graph.node" and f"{nodes:,} nodes" in error.message
    # the architecture-only file declares its weights as inputs: they count too
    error = refused(A_S36, ImportLimits(10**9, 10_000, 1000))
    assert error.field == "graph" and "parameters; the limit is 1,000" in error.message


def test_external_data_is_refused_and_never_opened(tmp_path, monkeypatch) -> None:
    model = onnx.load_from_string(
        model_bytes(
            [conv("c1", "x", "c1"), helper.make_node("Relu", ["c1"], ["y"])], conv_weights("c1", 4, 3, 3)
        )
    )
    weight = model.graph.initializer[0]
    weight.ClearField("raw_data")
    weight.ClearField("float_data")
    weight.data_location = onnx.TensorProto.EXTERNAL
    secret = tmp_path / "secret"
    secret.write_bytes(b"\0" * 1000)
    weight.external_data.add(key="location", value=str(secret))
    opened: list[str] = []
    real_open = open
    monkeypatch.setattr(
        "builtins.open", lambda path, *a, **k: opened.append(str(path)) or real_open(path, *a, **k)
    )
    error = refused(model.SerializeToString())
    assert error.field == "graph.initializer[0]" and "stored outside the file" in error.message
    assert str(secret) not in opened


def test_other_domains_and_subgraphs_are_refused() -> None:
    custom = helper.make_node(
        "Conv", ["x", "c1.w", "c1.b"], ["y"], name="mine", domain="com.example", kernel_shape=[3, 3]
    )
    error = refused(model_bytes([custom], conv_weights("c1", 4, 3, 3)))
    assert error.field == "graph.node[0]" and "operator domain 'com.example'" in error.message
    branch = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["z"])], "b", [], [helper.make_tensor_value_info("z", 1, None)]
    )
    when = helper.make_node("If", ["cond"], ["y"], name="when", then_branch=branch, else_branch=branch)
    error = refused(model_bytes([when], {"cond": np.array(True)}))
    assert "node 'when' (If): a conditional subgraph" in error.message


@pytest.mark.parametrize(
    "data", [b"", b"\x00", b"not a model at all", A_S36[: len(A_S36) // 2], b"\x0a\xff\xff\xff\xff\x0f"]
)
def test_malformed_files_are_invalid(data: bytes) -> None:
    assert refused(data).field in ("body", "graph.input", "graph.output", "graph")


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_corrupted_files_are_answered_with_a_domain_error(data) -> None:
    blob = bytearray(A_S36)
    for _ in range(data.draw(st.integers(1, 8))):
        blob[data.draw(st.integers(0, len(blob) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(blob)))
    with contextlib.suppress(Invalid):  # a 422 over HTTP; anything else would be a 500
        import_onnx(bytes(blob[:cut]), LIMITS)


def test_the_api_answers_413_past_the_import_limit_and_422_for_garbage(client, settings) -> None:
    too_big = b"\0" * (settings.max_import_bytes + 1)
    response = client.post(
        "/api/v1/import", content=too_big, headers={"Content-Type": "application/octet-stream"}
    )
    assert response.status_code == 413
    # an import may be larger than other bodies: 2 MB of garbage is parsed and refused, not a 413
    response = client.post(
        "/api/v1/import", content=b"\xff" * 2_000_000, headers={"Content-Type": "application/octet-stream"}
    )
    assert response.status_code == 422 and response.json()["field"] == "body"
    response = client.post(
        "/api/v1/complexity", content=b"\xff" * 2_000_000, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413  # the other endpoints keep ISOCOST_MAX_BODY_BYTES
