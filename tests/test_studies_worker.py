"""A study's life with real processes (uvicorn and a Celery worker): created, followed while its
jobs run, read back with statistics from the workers' results, a run built to stall marked as
not learned and left out, identical architectures reused, cancelled and deleted."""

from __future__ import annotations

import statistics

import httpx
import pytest

from app.arch.notation import format_spec, parse
from app.arch.replace import delay_subsampling
from app.arch.spec import InputShape
from tests.stack import e2e_settings, start_stack, wait_for

pytestmark = pytest.mark.slow

DIGITS = {"height": 8, "width": 8, "channels": 1}  # digits at their own size: a run takes seconds
TINY = "(3,16) + pool 2 | (3,16) + fc 10"
DELAYED = format_spec(delay_subsampling(parse(TINY, InputShape(**DIGITS))))  # the same cost: X -> X'
QUICK = {"epochs": 2, "batch_size": 16, "lr": 0.05, "max_train_images": 320}


def test_a_study_from_creation_to_deletion(stacks, tmp_path) -> None:
    api = start_stack(stacks, e2e_settings(tmp_path, "embedded"))
    models = [
        {"name": "tiny", "notation": TINY, "input": DIGITS},
        {"name": "tiny'", "notation": DELAYED, "input": DIGITS},
    ]
    study = api.post("/studies", {"name": "tiny", "models": models, "protocol": QUICK, "seeds": [0, 1]})
    path = f"/studies/{study['id']}"

    seen = set()

    def finished():
        now = api.get(path)
        seen.add(now["status"])
        return now if now["status"] not in ("queued", "running") else None

    study = wait_for(finished, 900, interval_s=0.5, what="the study to finish")
    assert study["status"] == "succeeded" and "running" in seen, (seen, api.stack.log_text())
    assert study["progress"] == {"queued": 0, "running": 0, "succeeded": 4, "failed": 0, "cancelled": 0,
                                 "total": 4, "fraction": 1.0}  # fmt: skip
    for model in study["models"]:
        errors = [api.get(f"/jobs/{r['job_id']}")["result"]["top1_error"] for r in model["runs"]]
        assert model["learned"] is True and model["n"] == 2 and all(r["learned"] for r in model["runs"])
        assert model["top1_error_mean"] == pytest.approx(statistics.fmean(errors))
        assert model["top1_error_std"] == pytest.approx(statistics.stdev(errors))
        low, high = model["top1_error_ci95"]
        assert low <= model["top1_error_mean"] <= high
    (edge,) = study["comparisons"]
    assert (edge["source"], edge["target"], edge["tradeoff"]) == ("tiny", "tiny'", "stride/pooling")
    means = {m["name"]: m["top1_error_mean"] for m in study["models"]}
    assert edge["difference"] == pytest.approx(means["tiny'"] - means["tiny"])
    assert edge["verdict"] in ("better", "worse", "within noise") and 0 <= edge["p_value"] <= 1
    assert edge["claim"]["expects"] == "better" and edge["claim"]["supported"] == (
        edge["verdict"] == "better"
    )

    # a run built to stall (a learning rate of 1e-6): finished, marked, and out of the statistics;
    # the same network under another name is the same architecture
    stalled = api.post("/studies", {"name": "stalled", "models": [{"name": "again", "notation": TINY, "input": DIGITS}],
                                    "protocol": {**QUICK, "epochs": 1, "lr": 1e-6}, "seeds": [0]})  # fmt: skip
    assert stalled["models"][0]["architecture_id"] == study["models"][0]["architecture_id"]
    stalled = wait_for(lambda: (s := api.get(f"/studies/{stalled['id']}"))["status"] == "succeeded" and s, 600,
                       what="the stalled study")  # fmt: skip
    (model,) = stalled["models"]
    assert model["learned"] is False and model["did_not_learn"] == 1 and model["n"] == 0
    assert model["top1_error_mean"] is None and model["runs"][0]["learned"] is False
    job = api.get(f"/jobs/{model['runs'][0]['job_id']}")
    assert job["status"] == "succeeded" and job["learned"] is False
    assert job["result"]["provenance"]["did_not_learn"].startswith("did not learn")

    # cancel: queued jobs at once, the running one within a batch; then delete
    long = api.post("/studies", {"name": "long", "models": {"figure": 1, "scale": "s36"},
                                 "protocol": {"epochs": 50}, "seeds": [0]})  # fmt: skip
    wait_for(lambda: api.get(f"/studies/{long['id']}")["progress"]["running"] == 1, 600, what="a running job")
    running = api.get(f"/studies/{long['id']}")
    assert running["status"] == "running" and 0 <= running["progress"]["fraction"] < 1
    api.post(f"/studies/{long['id']}/cancel", {})
    long = wait_for(lambda: (s := api.get(f"/studies/{long['id']}"))["status"] == "cancelled" and s, 300,
                    what="the cancelled study")  # fmt: skip
    assert long["progress"]["cancelled"] == 5 and long["cancelled_at"]
    response = httpx.delete(f"{api.stack.url}/api/v1/studies/{long['id']}", headers=api.headers, timeout=10)
    assert response.status_code == 204
    assert httpx.get(f"{api.stack.url}/api/v1/studies/{long['id']}", headers=api.headers).status_code == 404
    assert [s["name"] for s in api.get("/studies")["items"]] == ["stalled", "tiny"]
