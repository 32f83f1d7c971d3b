"""A calibration with a real worker (tests/stack.py: uvicorn and a Celery worker on loopback):
`isocost calibrate --grid tiny --wait` submits it, the worker times the tiny grid on this CPU and
stores the device profile, which is listed and predicts through `POST /complexity`. Correctness
only: the numbers are whatever this host measured, so only their consistency is checked."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.arch.analysis import analyse
from app.arch.latency import LatencyModel, predict
from app.arch.layers import LAYER_KINDS
from app.arch.presets import presets
from app.jobs.params import CalibrateParams
from tests.stack import ROOT, e2e_settings, environment, start_stack

pytestmark = pytest.mark.slow


def test_a_tiny_calibration_with_a_real_worker(stacks, tmp_path) -> None:
    settings = e2e_settings(tmp_path, "embedded")
    api = start_stack(stacks, settings)
    token = api.headers["Authorization"].removeprefix("Bearer ")
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "calibrate", "--grid", "tiny", "--name", "tiny-cpu", "--wait",
         "--url", api.stack.url, "--token", token],
        cwd=ROOT, env=environment(settings), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr + api.stack.log_text()
    (job,) = api.get("/jobs", kind="calibrate")["items"]
    assert job["status"] == "succeeded" and job["architecture_id"] is None and job["device"]
    (profile,) = api.get("/device-profiles", job_id=job["id"])["items"]
    assert f"device profile #{profile['id']} 'tiny-cpu'" in done.stdout
    assert (profile["name"], profile["device"], profile["device_type"]) == ("tiny-cpu", job["device"], "cpu")
    assert (profile["dtype"], profile["channels_last"], profile["batch_size"]) == ("float32", False, 1)
    # the tiny grid's 10 layers and A-s36's, timed inside its passes
    assert profile["fit"]["layers"] == 10 + len(analyse(presets()["A-s36"].spec).layers)
    assert profile["fit"]["networks"] == 1
    # timed in five rounds; how steady this host was is recorded, whichever it was
    rounds = profile["fit"]["round_times"]
    assert len(rounds) == 5 and all(ratio > 0 for ratio in rounds)
    precision = CalibrateParams().precision  # the job's, left at its default
    assert profile["fit"]["noisy"] == any(abs(ratio - 1) > precision for ratio in rounds)
    assert ("noisy: the host's speed moved" in done.stdout) == profile["fit"]["noisy"]
    assert profile["provenance"]["grid"] == "tiny" and profile["torch_version"]
    model = LatencyModel.model_validate(api.get(f"/device-profiles/{profile['id']}")["model"])
    assert set(model.kinds) == set(LAYER_KINDS) and model.overhead_s >= 0 and model.kinds["conv"].trees

    out = api.post("/complexity", {"preset": "A-s36", "device_profile": "tiny-cpu"})
    expected = predict(analyse(presets()["A-s36"].spec), model)
    assert out["predicted_ms"] == pytest.approx(expected.total_s * 1e3) and out["predicted_ms"] > 0
    assert out["device_profile"]["id"] == profile["id"]
    assert [layer["predicted_ms"] for layer in out["layers"]] == pytest.approx(
        [t.seconds * 1e3 for t in expected.layers]
    )
