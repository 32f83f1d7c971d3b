"""The default training protocol (docs/design.md, "Training protocol"): linear warm-up, gradient
clipping, and the did-not-learn detector, whose runs are marked in their job and result and kept
off the leaderboard."""

from __future__ import annotations

import math
import uuid
from pathlib import Path

import pytest
import torch

import worker.train as train_module
from app.arch.presets import presets
from app.db import session_scope
from app.jobs.models import Job, Result
from app.jobs.params import DEFAULT_MAX_GRAD_NORM, DEFAULT_WARMUP_FRACTION, TrainParams
from tests.conftest import TeamLogin
from worker.build import build_model
from worker.learned import LOSS_FRACTION, did_not_learn
from worker.progress import EpochMetrics
from worker.train import learning_rate, train

SPEC = presets()["A-s36"].spec


def run(params: TrainParams, tmp_path: Path):
    return train(
        SPEC,
        params,
        tmp_path,
        checkpoint=None,
        on_epoch=lambda m: None,
        should_stop=lambda: False,
        device="cpu",
    )


def test_linear_warm_up_then_the_schedule_over_the_rest() -> None:
    params = TrainParams(epochs=10, lr=0.1, warmup_fraction=0.2)
    assert [learning_rate(params, p) for p in (0, 0.05, 0.1, 0.2)] == pytest.approx([0, 0.025, 0.05, 0.1])
    assert learning_rate(params, 0.6) == pytest.approx(0.05)  # cosine half-way through the rest
    assert learning_rate(params, 1.0) == pytest.approx(0)
    step = TrainParams(epochs=10, lr=0.1, schedule="step", warmup_fraction=0.2)
    assert [learning_rate(step, p) for p in (0.1, 0.59, 0.61, 0.81, 1.0)] == pytest.approx(
        [0.05, 0.1, 0.01, 0.001, 0.001]
    )


def test_the_default_protocol_warms_up_and_clips_and_says_so() -> None:
    params = TrainParams(epochs=10)
    assert (params.warmup_fraction, params.max_grad_norm) == (DEFAULT_WARMUP_FRACTION, DEFAULT_MAX_GRAD_NORM)
    assert DEFAULT_WARMUP_FRACTION > 0 and DEFAULT_MAX_GRAD_NORM is not None
    assert f"warm-up {DEFAULT_WARMUP_FRACTION:g}, clip {DEFAULT_MAX_GRAD_NORM:g}" in params.protocol()
    # every part can still be chosen, and a protocol without them reads as before
    plain = TrainParams(epochs=10, lr=0.05, warmup_fraction=0, max_grad_norm=None)
    assert plain.protocol() == "digits, 10 epochs, batch 64, SGD lr 0.05 m 0.9 wd 0.0005 cosine"


def test_gradients_are_clipped_before_every_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    norms: list[float] = []

    class Recording(torch.optim.SGD):
        def step(self, closure=None):  # type: ignore[no-untyped-def, override]
            grads = [p.grad for group in self.param_groups for p in group["params"] if p.grad is not None]
            norms.append(float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))))
            return super().step(closure)

    monkeypatch.setattr(train_module.torch.optim, "SGD", Recording)
    run(TrainParams(epochs=1, max_train_images=128, batch_size=32, lr=0.5, max_grad_norm=0.05), tmp_path)
    assert len(norms) == 4 and max(norms) <= 0.05 * (1 + 1e-4)


def test_a_run_built_to_stall_is_detected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def stalled(spec):  # constant logits: the loss is ln(10) whatever the weights
        model = build_model(spec)
        model.register_forward_hook(lambda module, args, out: out * 0.0)
        return model

    monkeypatch.setattr(train_module, "build_model", stalled)
    outcome = run(TrainParams(epochs=2, max_train_images=64), tmp_path)
    assert outcome.did_not_learn is not None and "ln(10)" in outcome.did_not_learn
    assert outcome.provenance["did_not_learn"] == outcome.did_not_learn
    assert outcome.history[-1].train_loss == pytest.approx(math.log(10), rel=1e-4)


def test_a_run_that_learns_is_not_flagged(tmp_path: Path) -> None:
    outcome = run(TrainParams(epochs=2, batch_size=16), tmp_path)
    assert outcome.top1_error < 50 and outcome.did_not_learn is None
    assert outcome.provenance["did_not_learn"] is None


def _epoch(train_loss: float, top1: float) -> EpochMetrics:
    return EpochMetrics(epoch=10, train_loss=train_loss, val_loss=train_loss, top1_error=top1,
                        top5_error=top1 / 2, images_per_s=1.0, lr=0.0, elapsed_s=1.0)  # fmt: skip


def test_detector_thresholds() -> None:
    # loss at or above 0.99 ln(classes): still at chance, whatever the error
    assert did_not_learn(_epoch(LOSS_FRACTION * math.log(10) + 1e-9, 50.0), 10, 360) is not None
    assert did_not_learn(_epoch(LOSS_FRACTION * math.log(10) - 1e-3, 66.0), 10, 360) is None  # slow, learning
    assert did_not_learn(_epoch(0.5, 5.0), 10, 360) is None
    # error at chance: accuracy within 2 binomial standard errors of 1/10 over 360 images
    margin = 2 * math.sqrt(0.1 * 0.9 / 360)
    assert did_not_learn(_epoch(1.5, 100 * (0.9 - margin) + 0.01), 10, 360) is not None
    assert did_not_learn(_epoch(1.5, 100 * (0.9 - margin) - 0.5), 10, 360) is None
    assert "chance" in (did_not_learn(_epoch(0.3, 52.0), 2, 100) or "")


def _result(
    settings, team: TeamLogin, architecture_id: int, protocol: str, top1: float, learned: bool
) -> int:
    with session_scope(settings.database_url) as session:
        job = Job(team_id=team.id, architecture_id=architecture_id, kind="train", queue="cpu",
                  params={"seed": 0}, protocol=protocol, status="succeeded")  # fmt: skip
        session.add(job)
        session.flush()
        session.add(Result(job_id=job.id, architecture_id=architecture_id, team_id=team.id, kind="train",
                           protocol=protocol, dataset="digits", seed=0, conv_macs=1, top1_error=top1,
                           provenance={"did_not_learn": None if learned else "did not learn: test"},
                           learned=learned))  # fmt: skip
        return job.id


def test_a_run_that_did_not_learn_is_marked_and_kept_off_the_leaderboard(client, settings, team) -> None:
    response = client.post("/api/v1/architectures", headers=team.headers, json={
        "name": f"lb-{uuid.uuid4().hex[:8]}", "notation": "(1,8) + gap + fc 10",
        "input": {"height": 36, "width": 36}, "published": False})  # fmt: skip
    assert response.status_code == 201, response.text
    architecture = response.json()["id"]
    protocol = f"stall-{uuid.uuid4().hex[:8]}"
    learned = _result(settings, team, architecture, protocol, 5.0, True)
    stalled = _result(settings, team, architecture, protocol, 90.0, False)

    job = client.get(f"/api/v1/jobs/{stalled}", headers=team.headers).json()
    assert job["learned"] is False and job["result"]["learned"] is False
    assert job["result"]["provenance"]["did_not_learn"].startswith("did not learn")
    assert client.get(f"/api/v1/jobs/{learned}", headers=team.headers).json()["learned"] is True
    listed = client.get("/api/v1/jobs", params={"architecture_id": architecture}, headers=team.headers).json()
    assert {j["id"]: j["learned"] for j in listed["items"]} == {learned: True, stalled: False}

    # the architecture is far cheaper than A-s36: a budget of its own cost ranks it
    response = client.post("/api/v1/budgets", headers=team.headers, json={
        "name": f"tiny-{uuid.uuid4().hex[:6]}", "reference_architecture_id": architecture})  # fmt: skip
    assert response.status_code == 201, response.text
    board = client.get("/api/v1/leaderboard", params={"budget_id": response.json()["id"], "protocol": protocol},
                       headers=team.headers).json()  # fmt: skip
    (entry,) = board["entries"]
    assert entry["seeds"] == 1 and entry["top1_error_mean"] == pytest.approx(5.0)
