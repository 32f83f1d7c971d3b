"""Device profiles (docs/design.md, "Device profiles"): the latency model fitted from timings,
profiles stored and listed, predicted time through `POST /complexity` and `isocost complexity
--device-profile`, calibration jobs refused or accepted at submission, and bad references named.
The calibration with a real worker is in tests/test_timing_calibration.py."""

from __future__ import annotations

import math
import uuid

import pytest

from app.arch.analysis import analyse
from app.arch.latency import (
    FEATURES,
    KindModel,
    LatencyModel,
    MacsOnly,
    Tree,
    layer_features,
    predict,
    work,
)
from app.arch.layers import LAYER_KINDS
from app.arch.presets import presets
from app.arch.spec import Spec
from app.cli import main
from app.db import session_scope
from app.jobs.params import CalibrateParams
from app.profiles.data import FitQuality, ProfileData
from app.profiles.service import store
from app.settings import get_settings
from tests.jobs_support import add_architecture
from worker.calibrate import grid
from worker.latency_fit import Timed, fit

SPEC = presets()["A-s36"].spec
# A synthetic device: seconds per unit of work (MACs for conv and fc, bytes for the others), with
# one tree on the filter size: 1x1 convs next to free, filters over 3x3 three times slower per MAC.
# Global pooling is next to free too, so "(1,n) + gap + fc 10" takes the overhead and its fc's MACs
# whatever the input side (tests/test_latency_budgets_board.py).
PER_UNIT_S = {"conv": 1e-9, "fc": 5e-10, "maxpool": 2e-10, "avgpool": 3e-10, "spp": 4e-10, "gap": 1e-22}
POINTWISE_FACTOR, LARGE_FILTER_FACTOR = 1e-13, 3.0
OVERHEAD_S, PER_MAC_S, FIXED_S = 1.4e-5, 2e-9, 1e-4
SIZE = FEATURES.index("filter_size")


def synthetic_model() -> LatencyModel:
    by_size = Tree(feature=[SIZE, -1, SIZE, -1, -1], threshold=[1.5, 0, 3.5, 0, 0], left=[1, -1, 3, -1, -1],
                   right=[2, -1, 4, -1, -1], value=[0, math.log(POINTWISE_FACTOR), 0, 0, math.log(LARGE_FILTER_FACTOR)])  # fmt: skip
    kinds = {
        kind: KindModel(base=math.log(PER_UNIT_S[kind]), rate=1.0, trees=[by_size] if kind == "conv" else [])
        for kind in LAYER_KINDS
    }
    return LatencyModel(element_bytes=4, overhead_s=OVERHEAD_S, kinds=kinds,
                        baseline=MacsOnly(per_mac_s=PER_MAC_S, fixed_s=FIXED_S))  # fmt: skip


def expected_layer_s(kind: str, kernel: int | None, units: float) -> float:
    """The synthetic device's time of a layer, written out."""
    factor = 1.0
    if kind == "conv":
        factor = POINTWISE_FACTOR if kernel == 1 else LARGE_FILTER_FACTOR if (kernel or 0) > 3 else 1.0
    return PER_UNIT_S[kind] * units * factor


def units_of(layer: dict) -> float:
    """A layer's work, from the API's report: MACs, or bytes read and written at float32."""
    if layer["kind"] in ("conv", "fc"):
        return max(layer["macs"], 1)
    hw = lambda side: side[0] * side[1] if side else 1  # noqa: E731
    return 4 * (layer["in_channels"] * hw(layer["in_hw"]) + layer["out_channels"] * hw(layer["out_hw"]))


def profile_data(name: str, device: str = "Test CPU") -> ProfileData:
    quality = FitQuality(layers=10, networks=1, cv_folds=5, layer_median_abs_error=0.05, layer_within_10=0.8,
                         layer_within_20=0.9, network_median_abs_error=0.04, baseline_network_median_abs_error=0.3,
                         calibration_s=12.0)  # fmt: skip
    return ProfileData(name=name, device=device, device_type="cpu", torch_version="2.x", dtype="float32",
                       channels_last=False, threads=2, model=synthetic_model(), fit=quality, provenance={"test": True})  # fmt: skip


@pytest.fixture
def profile(settings) -> dict:
    name = f"cpu-{uuid.uuid4().hex[:8]}"
    with session_scope(settings.database_url) as session:
        row = store(session, profile_data(name))
        return {"id": row.id, "name": name}


def test_predictions_follow_the_trees() -> None:
    analysis = analyse(SPEC)
    out = predict(analysis, synthetic_model())
    layers = [expected_layer_s(r.kind, r.kernel, work(r, 4)) for r in analysis.layers]
    assert [t.name for t in out.layers] == [r.name for r in analysis.layers]
    assert [t.seconds for t in out.layers] == pytest.approx(layers, rel=1e-12)
    assert out.total_s == pytest.approx(OVERHEAD_S + sum(layers), rel=1e-12)
    assert out.baseline_s == pytest.approx(PER_MAC_S * analysis.conv_macs + FIXED_S)


def _timed(spec: Spec, network: bool, device: LatencyModel) -> Timed:
    """What a calibration would measure on `device` (no clock)."""
    analysis = analyse(spec)
    predicted = predict(analysis, device)
    layer_s = [t.seconds for t in predicted.layers]
    return Timed(analysis, layer_s, sum(layer_s) + (OVERHEAD_S if network else 0.0), network)


def test_the_fit_recovers_a_known_device() -> None:
    """Timings made by a known model: the fitted trees, read back by the API's evaluator, predict
    networks they never saw."""
    true = synthetic_model()
    timed = [_timed(Spec(input=item.input, layers=[item.layer]), False, true) for item in grid("standard")]
    timed += [
        _timed(presets()[name].spec, True, true) for name in ("A-s36", "C-s36", "J-s36", "F-s36", "E-s36")
    ]
    model, quality = fit(timed, element_bytes=4, elapsed_s=1.0)
    assert quality.layers == sum(len(t.layer_s) for t in timed) and quality.networks == 5
    assert quality.layer_within_10 == 1.0 and quality.layer_median_abs_error < 1e-3
    assert model.overhead_s == pytest.approx(OVERHEAD_S, rel=1e-6)
    for name in ("B-s36", "D-s36"):  # networks it never saw
        analysis = analyse(presets()[name].spec)
        assert predict(analysis, model).total_s == pytest.approx(predict(analysis, true).total_s, rel=1e-3)
    assert set(model.kinds) == set(LAYER_KINDS)  # every layer kind is in the standard grid


def test_features_are_documented_and_complete() -> None:
    analysis = analyse(SPEC)
    layers = [layer for _, layer in SPEC.unrolled()]
    positions = []
    for i, (report, layer) in enumerate(zip(analysis.layers, layers, strict=True)):
        features = layer_features(report, layer, i, len(layers))
        assert len(features) == len(FEATURES)
        positions.append(
            (features[FEATURES.index("layers_before")], features[FEATURES.index("layers_after")])
        )
    assert positions == [(i, len(layers) - 1 - i) for i in range(len(layers))]
    assert {item.layer.type for item in grid("tiny")} == set(LAYER_KINDS)


def test_features_are_only_appended() -> None:
    """A stored model's trees name features by index: the features of the first version-2 profiles
    keep theirs, so those profiles predict as they did."""
    first = ("filter_size", "stride", "in_channels", "out_channels", "in_side", "out_side", "log2_macs",
             "asymmetric_padding", "log2_in_elements", "log2_out_elements", "levels")  # fmt: skip
    assert FEATURES[: len(first)] == first


def test_profiles_are_stored_and_listed(client, settings, profile) -> None:
    page = client.get("/api/v1/device-profiles", params={"name": profile["name"]}).json()
    (item,) = page["items"]
    assert (item["id"], item["name"], item["device"], item["dtype"], item["batch_size"]) == (
        profile["id"], profile["name"], "Test CPU", "float32", 1,
    )  # fmt: skip
    assert "model" not in item  # a page of profiles would carry megabytes of trees
    assert item["fit"]["layer_within_10"] == 0.8 and item["job_id"] is None
    one = client.get(f"/api/v1/device-profiles/{profile['id']}").json()
    assert one["model"] == synthetic_model().model_dump(mode="json") and one["name"] == profile["name"]
    missing = client.get("/api/v1/device-profiles/2147483000")
    assert missing.status_code == 404 and missing.json()["field"] == "profile_id"
    # the same name again: the newest is listed first and is the one a name resolves to
    with session_scope(settings.database_url) as session:
        newer = store(session, profile_data(profile["name"], device="Other CPU")).id
    assert [
        p["id"]
        for p in client.get("/api/v1/device-profiles", params={"name": profile["name"]}).json()["items"]
    ] == [newer, profile["id"]]
    assert (
        client.get("/api/v1/device-profiles", params={"device": "Other CPU", "name": profile["name"]}).json()[
            "total"
        ]
        == 1
    )


def test_complexity_adds_predicted_time(client, profile) -> None:
    for ref in (profile["id"], profile["name"]):
        response = client.post("/api/v1/complexity", json={"preset": "A-s36", "device_profile": ref})
        assert response.status_code == 200, response.text
        out = response.json()
        layers = [expected_layer_s(r["kind"], r["kernel"], units_of(r)) for r in out["layers"]]
        assert [r["predicted_ms"] for r in out["layers"]] == pytest.approx([t * 1e3 for t in layers])
        assert [r["time_share"] for r in out["layers"]] == pytest.approx([t / sum(layers) for t in layers])
        assert out["predicted_ms"] == pytest.approx((OVERHEAD_S + sum(layers)) * 1e3)
        assert out["overhead_ms"] == pytest.approx(OVERHEAD_S * 1e3)
        assert out["baseline_ms"] == pytest.approx((PER_MAC_S * out["conv_macs"] + FIXED_S) * 1e3)
        assert out["device_profile"]["id"] == profile["id"] and out["device_profile"]["device"] == "Test CPU"
    # without a profile the answer is the analysis as before, nothing added
    plain = client.post("/api/v1/complexity", json={"preset": "A-s36"}).json()
    assert "predicted_ms" not in plain and "predicted_ms" not in plain["layers"][0]


@pytest.mark.parametrize(
    ("ref", "message"),
    [("no-such-profile-zz", "no device profile named 'no-such-profile-zz'"), (2**31 - 2, "no device profile id"),
     (0, ""), ("", ""), (True, "")],
)  # fmt: skip
def test_an_unknown_or_bad_profile_is_a_422_naming_it(client, ref, message) -> None:
    response = client.post("/api/v1/complexity", json={"preset": "A-s36", "device_profile": ref})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "device_profile" and message in response.json()["detail"]


def test_a_profile_of_the_old_linear_model_asks_for_a_new_calibration(client, settings, profile) -> None:
    """Version 1 models (linear per kind) are still stored where a device was calibrated before
    version 2: they are listed, and predicting with one is a 422 that says what to do."""
    name = f"old-{uuid.uuid4().hex[:8]}"
    with session_scope(settings.database_url) as session:
        row = store(session, profile_data(name))
        row.model = {"version": 1, "element_bytes": 4, "overhead_s": 1e-5, "kinds": {}, "baseline": {}}
        session.commit()
        old_id = row.id
    response = client.post("/api/v1/complexity", json={"preset": "A-s36", "device_profile": name})
    assert response.status_code == 422 and response.json()["field"] == "device_profile"
    assert (
        "version 1" in response.json()["detail"] and "calibrate the device again" in response.json()["detail"]
    )
    assert client.get(f"/api/v1/device-profiles/{old_id}").json()["model"]["version"] == 1
    assert client.get("/api/v1/device-profiles", params={"name": name}).json()["total"] == 1


def test_the_cli_prints_predicted_time(capsys, monkeypatch, settings, profile) -> None:
    monkeypatch.setenv("ISOCOST_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    try:
        assert main(["complexity", "A-s36", "--device-profile", profile["name"]]) == 0
        out = capsys.readouterr().out
        expected = (
            OVERHEAD_S + sum(expected_layer_s(r.kind, r.kernel, work(r, 4)) for r in analyse(SPEC).layers)
        ) * 1e3
        assert f"predicted latency      {expected:.3f} ms at batch 1" in out
        assert f"#{profile['id']} {profile['name']}: Test CPU, float32" in out
        conv1 = analyse(SPEC).layers[0]
        assert f"{expected_layer_s('conv', conv1.kernel, conv1.macs) * 1e3:.4f}" in out.split("\n")[3]
        assert main(["complexity", "A-s36", "--device-profile", str(profile["id"]), "--json"]) == 0
        assert '"predicted_ms"' in capsys.readouterr().out
        assert main(["complexity", "A-s36", "--device-profile", "nope-zz"]) == 2
        assert "error: no device profile named 'nope-zz'" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()


def test_calibration_jobs_at_submission(client, settings, team) -> None:
    response = client.post(
        "/api/v1/jobs", json={"kind": "calibrate", "params": {"grid": "tiny"}}, headers=team.headers
    )
    assert response.status_code == 201, response.text
    (job,) = response.json()["jobs"]
    assert (job["kind"], job["architecture_id"], job["architecture_name"]) == ("calibrate", None, None)
    assert job["protocol"] == CalibrateParams(grid="tiny").protocol() and job["status"] == "queued"
    assert client.get(f"/api/v1/jobs/{job['id']}", headers=team.headers).json()["result"] is None
    listed = client.get("/api/v1/jobs", params={"kind": "calibrate"}, headers=team.headers).json()["items"]
    assert [j["id"] for j in listed] == [job["id"]]
    architecture = add_architecture(settings.database_url, team.id)
    refused = [
        ({"kind": "calibrate", "architecture_id": architecture}, "architecture_id"),
        ({"kind": "calibrate", "params": {"grid": "huge"}}, "params.grid"),
        ({"kind": "calibrate", "params": {"repeats": 9, "max_repeats": 5}}, "params.max_repeats"),
        ({"kind": "calibrate", "params": {"name": "a\u202eb"}}, "params.name"),
        ({"kind": "train", "params": {"epochs": 1}}, "architecture_id"),
        ({"kind": "benchmark", "architecture_id": architecture, "params": {"repeats": 9, "max_repeats": 5}},
         "params.max_repeats"),
    ]  # fmt: skip
    for body, field in refused:
        response = client.post("/api/v1/jobs", json=body, headers=team.headers)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["field"] == field, (body, response.text)
