"""Positive cases for the contract test (tests/test_api_fuzz.py) that obey the API's rules which
JSON Schema cannot state (docs/design.md, "The API contract").

schemathesis's `positive_data_acceptance` check expects every schema-valid request to be
accepted. Some of the API's rules are not about shape: a name is trimmed and free of control and
invisible characters; a spec's layers must fit its input; an id in the body must name a row the
team can see; a replacement must stay inside one stage; an import must be an ONNX model. The
schema states all that JSON Schema can (exactly one spec source, every layer's `type`); for the
rest, schemathesis's remedy is to extend the generator: `repair` rewrites only the fields such a
rule governs, with values drawn from small pools of valid ones, and leaves every other generated
field as it was. Negative cases are never touched, and every check runs on every response.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from schemathesis import GenerationMode

from app.arch.presets import of_scale
from app.arch.replace import delay_subsampling, replace_segment
from app.arch.text import REFUSED_CATEGORIES

SOURCES = ("spec", "notation", "preset")
S36 = of_scale("s36")
VALID_SOURCES: list[dict[str, Any]] = (
    [{"preset": p.name} for p in S36]
    + [{"notation": p.notation, "input": p.spec.input.model_dump()} for p in S36]
    + [{"spec": p.spec.model_dump(mode="json")} for p in S36]
)
# The replacement assistant's inputs that the engine accepts for A-s36 (stage 3 is conv3..conv5).
_A = next(p for p in S36 if p.name == "A-s36")
_REPLACEMENTS = [
    {"first": first, "last": last, "size": size, depth_or_width: value}
    for first, last in ((3, 5), (4, 5), (2, 2))
    for size in (1, 2, 3)
    for depth_or_width, value in (("depth", 2), ("depth", 6), ("width", 48))
]


def _accepted(request: dict[str, Any]) -> bool:
    try:
        depth, width = request.get("depth"), request.get("width")
        replace_segment(_A.spec, request["first"], request["last"], request["size"], depth, width, 1, 0.05)
    except Exception:
        return False
    return True


def _delays(pool: int | None) -> bool:
    try:
        delay_subsampling(_A.spec, pool)
    except Exception:
        return False
    return True


VALID_REPLACEMENTS = [r for r in _REPLACEMENTS if _accepted(r)]
VALID_POOLS = [pool for pool in (None, 1, 2, 3) if _delays(pool)]
TRAIN = {"dataset": {"kind": "digits"}, "epochs": 1}
STUDY_MODELS = [
    {"figure": 1, "scale": "s36"},
    [{"name": "a", "preset": "A-s36"}, {"name": "b", "preset": "B-s36"}],
    {"replacements_of": {"preset": "A-s36"}},
]
BENCHMARK = {"repeats": 3, "warmup": 1}


@dataclass
class Context:
    """What the team owns when the operation runs: its architecture, and ONNX files to import."""

    architecture_id: int
    onnx_files: list[bytes] = field(default_factory=list)


def exported_onnx(client: Any) -> list[bytes]:
    """ONNX files the import accepts, exported by the API itself (positive import bodies)."""
    files = [client.post("/api/v1/export", json={"preset": p, "format": "onnx"}) for p in ("A-s36", "E-s36")]
    return [file.content for file in files if file.status_code == 200]


def plain_text(value: str) -> str:
    """`value` as the text rule accepts it (app.arch.text): refused characters dropped, trimmed,
    not blank."""
    kept = "".join(ch for ch in value if unicodedata.category(ch) not in REFUSED_CATEGORIES)
    return kept.strip() or "x"


def obey_text_rule(value: Any) -> Any:
    if isinstance(value, str):
        return plain_text(value)
    if isinstance(value, dict):
        return {key: obey_text_rule(item) for key, item in value.items()}
    if isinstance(value, list):
        return [obey_text_rule(item) for item in value]
    return value


def _sources(value: Any) -> list[dict[str, Any]]:
    """Every spec source in a body: a dict with one of `spec`, `notation`, `preset`."""
    if isinstance(value, list):
        return [source for item in value for source in _sources(item)]
    if not isinstance(value, dict):
        return []
    found = [value] if any(key in value for key in SOURCES) else []
    return found + [source for key, item in value.items() if key not in SOURCES for source in _sources(item)]


def _one_source(source: dict[str, Any], chosen: dict[str, Any]) -> None:
    for key in (*SOURCES, "input"):
        source.pop(key, None)
    source.update(chosen)


def repair(case: Any, draw: Any, context: Context) -> None:
    """Make a positive `case` obey the runtime rules (module docstring); edits it in place."""
    operation = (case.method.upper(), case.path)
    if case.query:
        case.query = obey_text_rule(case.query)
    if operation == ("GET", "/api/v1/figures/compare"):  # one of job_ids or architecture_id, the team's
        case.query = {"architecture_id": context.architecture_id}
    if operation == ("POST", "/api/v1/import"):
        case.body = draw(st.sampled_from(context.onnx_files))
        return
    if not isinstance(case.body, dict):
        return
    body = case.body = obey_text_rule(case.body)
    for source in _sources(body):
        _one_source(source, draw(st.sampled_from(VALID_SOURCES)))
    if operation == ("POST", "/api/v1/relations"):
        for i, item in enumerate(body.get("specs") or []):
            item["name"] = f"{item['name'][:80]} #{i}"  # names are unique, and none is a preset's
    elif operation == ("POST", "/api/v1/replacements"):
        _one_source(body, {"preset": "A-s36"})
        for key in ("first", "last", "size", "depth", "width", "multiple_of"):
            body.pop(key, None)
        body.update(draw(st.sampled_from(VALID_REPLACEMENTS)))
    elif operation == ("POST", "/api/v1/replacements/delayed-subsampling"):
        _one_source(body, {"preset": "A-s36"})
        body["pool"] = draw(st.sampled_from(VALID_POOLS))
    elif operation == ("POST", "/api/v1/architectures"):
        body["parent_id"] = draw(st.sampled_from([None, context.architecture_id]))
    elif operation == ("POST", "/api/v1/budgets"):
        # a cost budget: a time budget needs a device profile, and the fuzzed database holds none
        for key in ("reference_preset", "reference_architecture_id", "reference_conv_macs", "input_side",
                    "metric", "device_profile", "device", "reference_value", "batch_size"):  # fmt: skip
            body.pop(key, None)
        body.update(
            draw(
                st.sampled_from(
                    [
                        {"reference_preset": "A-s36"},
                        {"reference_architecture_id": context.architecture_id},
                        {"reference_conv_macs": 6_000_000, "input_side": 36},
                    ]
                )
            )
        )
    elif operation == ("POST", "/api/v1/jobs"):
        body["architecture_id"] = context.architecture_id
        body["params"] = TRAIN if body.get("kind") == "train" else BENCHMARK
        if body.get("kind") != "train":
            body.pop("seeds", None)
        if body.get("kind") == "calibrate":  # times the worker's device: no architecture
            body.pop("architecture_id")
            body["params"] = {"grid": "tiny"}
    elif operation == ("POST", "/api/v1/studies"):  # a few models, seeds and rates: within the job cap
        body["models"] = draw(st.sampled_from(STUDY_MODELS))
        body["protocol"] = draw(st.sampled_from([None, TRAIN]))
        body["seeds"] = (body.get("seeds") or [0])[:3]
        body["lr_sweep"] = (body.get("lr_sweep") or None) and body["lr_sweep"][:2]
    if operation == ("POST", "/api/v1/complexity"):
        body.pop("device_profile", None)  # the fuzzed database holds no device profile


@st.composite
def valid(draw: Any, operation: Any, context: Context) -> Any:
    """Positive cases of `operation`, repaired to obey the runtime rules."""
    case = draw(operation.as_strategy(GenerationMode.POSITIVE))
    repair(case, draw, context)
    return case
