"""The API side of the dashboard's workflows (issue "Workflows"): the architectures list's runs,
best error and lineage; a job's place in the queue, time left, progress within an epoch and
device; replacement candidates that are the paper's models; notation errors that quote whole
tokens; and the figures' legends, labels and narrow layouts."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.arch.analysis import analyse
from app.arch.notation import parse
from app.arch.presets import presets
from app.arch.spec import InputShape
from app.cli import main as cli
from app.db import session_scope, utcnow
from app.figures.curves import training_curves
from app.figures.scatter import cost_axis, leaderboard_scatter
from app.jobs import lifecycle
from app.jobs.models import Job, Result
from app.jobs.params import TrainParams
from tests.jobs_support import add_architecture, add_job

ARCHS = "/api/v1/architectures"


def save(client, login, parent_id: int | None = None, **body) -> dict:
    body = {"name": f"w-{uuid.uuid4().hex[:8]}", "preset": "A-s36", **body}
    if parent_id is not None:
        body["parent_id"] = parent_id
    response = client.post(ARCHS, json=body, headers=login.headers)
    assert response.status_code == 201, response.text
    return response.json()


def add_result(
    url: str, team_id: int, architecture_id: int, top1: float, dataset: str = "digits", kind="train"
) -> None:
    job_id = add_job(url, team_id, architecture_id, status="succeeded")
    with session_scope(url) as session:
        session.add(Result(job_id=job_id, architecture_id=architecture_id, team_id=team_id, kind=kind,
                           protocol="digits, 3 epochs", dataset=dataset, seed=0, conv_macs=1,
                           top1_error=top1, top5_error=0.5, provenance={}))  # fmt: skip


def test_the_list_gives_runs_and_the_best_error(client, settings, team) -> None:
    arch = save(client, team)
    untrained = save(client, team)
    for error in (4.5, 3.25):
        add_result(settings.database_url, team.id, arch["id"], error)
    add_result(settings.database_url, team.id, arch["id"], 1.0, dataset="synthetic")  # a run, never the best
    add_result(settings.database_url, team.id, arch["id"], None, kind="benchmark")  # not a training run
    listed = client.get(ARCHS, headers=team.headers, params={"per_page": 100}).json()["items"]
    by_id = {a["id"]: a for a in listed}
    assert (by_id[arch["id"]]["runs"], by_id[arch["id"]]["best_error"]) == (3, 3.25)
    assert (by_id[untrained["id"]]["runs"], by_id[untrained["id"]]["best_error"]) == (0, None)
    one = client.get(f"{ARCHS}/{arch['id']}", headers=team.headers).json()
    assert (one["runs"], one["best_error"]) == (3, 3.25)


def test_lineage_is_the_visible_family_tree(client, team, other_team) -> None:
    root = save(client, team)
    child = save(client, team, parent_id=root["id"], preset="B-s36")
    grandchild = save(client, team, parent_id=child["id"], preset="D-s36")
    sibling = save(client, team, parent_id=root["id"], preset="C-s36")
    save(client, team)  # unrelated
    theirs = save(client, other_team, parent_id=None, preset="F-s36", published=True)
    their_private_child = save(client, other_team, parent_id=theirs["id"], preset="G-s36")
    mine_from_theirs = save(client, team, parent_id=theirs["id"], preset="E-s36")

    out = client.get(f"{ARCHS}/{grandchild['id']}/lineage", headers=team.headers)
    assert out.status_code == 200, out.text
    body = out.json()
    assert body["root_id"] == root["id"] and body["truncated"] is False
    tree = {a["id"]: a["parent_id"] for a in body["items"]}
    assert tree == {
        root["id"]: None,
        child["id"]: root["id"],
        grandchild["id"]: child["id"],
        sibling["id"]: root["id"],
    }
    assert [a["id"] for a in body["items"]] == sorted(tree)  # oldest first
    # from another team's published root: my descendant shows, their private one does not
    family = client.get(f"{ARCHS}/{mine_from_theirs['id']}/lineage", headers=team.headers).json()
    assert {a["id"] for a in family["items"]} == {theirs["id"], mine_from_theirs["id"]}
    assert their_private_child["id"] not in {a["id"] for a in family["items"]}
    assert client.get(f"{ARCHS}/{their_private_child['id']}/lineage", headers=team.headers).status_code == 404


def test_lineage_is_capped(client, settings, team) -> None:
    from fastapi.testclient import TestClient

    from app.main import create_app

    root = save(client, team)
    for _ in range(3):
        save(client, team, parent_id=root["id"])
    capped = settings.model_copy(update={"max_lineage_nodes": 2})
    with TestClient(create_app(capped)) as small:
        body = small.get(f"{ARCHS}/{root['id']}/lineage", headers=team.headers).json()
    assert len(body["items"]) == 2 and body["truncated"] is True


def test_queued_jobs_know_their_place_and_running_ones_their_time_left(client, settings, team) -> None:
    url = settings.database_url
    arch = add_architecture(url, team.id)
    first, second = (add_job(url, team.id, arch) for _ in range(2))
    started = utcnow() - timedelta(seconds=100)
    running = add_job(url, team.id, arch, status="running", progress=0.25, started_at=started, worker="w")
    with session_scope(url) as session:
        ahead = session.scalar(
            select(func.count()).where(Job.status == "queued", Job.queue == "cpu", Job.id < first)
        )
    jobs = {
        j["id"]: j
        for j in client.get("/api/v1/jobs", headers=team.headers, params={"per_page": 100}).json()["items"]
    }
    assert jobs[first]["queue_position"] == ahead + 1
    assert jobs[second]["queue_position"] == ahead + 2
    assert jobs[running]["queue_position"] is None and jobs[first]["eta_s"] is None
    # 100 s for a quarter: about 300 s to go (the request itself takes a moment)
    assert 300 <= jobs[running]["eta_s"] < 310
    detail = client.get(f"/api/v1/jobs/{running}", headers=team.headers).json()
    assert 300 <= detail["eta_s"] < 310
    client.post(f"/api/v1/jobs/{first}/cancel", headers=team.headers)
    assert client.get(f"/api/v1/jobs/{second}", headers=team.headers).json()["queue_position"] == ahead + 1


def test_a_succeeded_job_keeps_the_device_it_ran_on(settings, team) -> None:
    """The job list read "-" after success: only the result row had the device."""
    url = settings.database_url
    job_id = add_job(url, team.id, add_architecture(url, team.id), status="running", worker="w1")
    with session_scope(url) as session:
        done = {
            "conv_macs": 1,
            "dataset": "digits",
            "seed": 0,
            "top1_error": 3.0,
            "device": "Test CPU",
            "provenance": {},
        }
        assert lifecycle.complete(session, job_id, "w1", done)
    with session_scope(url) as session:
        assert session.get_one(Job, job_id).device == "Test CPU"


def test_progress_is_written_within_epochs_at_most_every_interval(settings, team) -> None:
    from worker.liveness import Heartbeat
    from worker.reporting import ProgressReporter

    url = settings.database_url
    job_id = add_job(url, team.id, add_architecture(url, team.id), status="running", worker="w2")
    now = [100.0]
    reporter = ProgressReporter(settings.model_copy(update={"progress_interval_s": 2.0}), job_id, "w2",
                                Heartbeat(settings, job_id, "w2"), "Test GPU", clock=lambda: now[0])  # fmt: skip
    written = []
    for at, fraction in ((0.0, 0.01), (0.5, 0.02), (1.99, 0.03), (2.0, 0.04), (3.0, 0.05), (4.5, 0.06)):
        now[0] = 100.0 + at
        before = reporter.writes
        reporter(fraction)
        if reporter.writes > before:
            written.append(fraction)
    assert written == [0.01, 0.04, 0.06]  # the first at once, then no two within 2 s
    with session_scope(url) as session:
        job = session.get_one(Job, job_id)
        assert (job.progress, job.device) == (0.06, "Test GPU")


def test_training_reports_progress_after_every_batch(tmp_path: Path) -> None:
    from worker.train import train

    seen: list[float] = []
    tiny = parse("(3,4) + gap + fc 10", InputShape(channels=3, height=8, width=8))
    train(tiny, TrainParams(epochs=2, batch_size=128, seed=0), tmp_path, checkpoint=None,
          on_epoch=lambda m: seen.append(-m.epoch), should_stop=lambda: False, device="cpu",
          on_progress=seen.append)  # fmt: skip
    batches = [x for x in seen if x >= 0]
    first_epoch = seen[: seen.index(-1)]
    assert len(first_epoch) > 2 and all(0 < x < 0.5 + 1e-9 for x in first_epoch)  # within epoch 1 of 2
    assert batches == sorted(batches) and batches[-1] == pytest.approx(1.0)


def test_replacements_say_when_a_candidate_is_a_paper_model(client) -> None:
    out = client.post(
        "/api/v1/replacements", json={"preset": "A-s36", "first": 3, "last": 5, "size": 3, "depth": 6}
    )
    assert out.status_code == 200, out.text
    first = out.json()[0]
    assert first["preset"] == "F-s36" and "(3,40)x5 + (3,64)" in first["notation"]
    other = client.post(
        "/api/v1/replacements", json={"preset": "A-s36", "first": 3, "last": 5, "size": 3, "depth": 4}
    )
    assert all(c["preset"] is None for c in other.json())
    primed = client.post("/api/v1/replacements/delayed-subsampling", json={"preset": "B", "pool": 2}).json()
    assert primed["preset"] in (None, "B'")
    every = client.post("/api/v1/replacements/delayed-subsampling", json={"preset": "B"}).json()
    assert every["preset"] == "B'"


def test_the_cli_replace_command_names_the_paper_model(capsys) -> None:
    assert cli(["replace", "A-s36", "--layers", "3:5", "--size", "3", "--depth", "6"]) == 0
    out = capsys.readouterr().out
    assert "= model F-s36" in out.splitlines()[1]  # the first candidate's row


@pytest.mark.parametrize(
    ("notation", "position", "end", "quoted"),
    [
        ("(3,16) + pool 3 | (5,32) + poool 2 | (3,64)x3", 27, 32, "'poool'"),
        ("(3,16) + (3,1234567890123)", 12, 25, "'1234567890123'"),
        ("(3,64) + (3.5,8)", 10, 13, "'3.5'"),
        ("(3,8) + (9,8) valid", 8, 19, "'(9,8) valid'"),  # a layer that does not fit: the whole layer
    ],
)
def test_notation_errors_quote_whole_tokens(client, notation, position, end, quoted) -> None:
    out = client.post(
        "/api/v1/complexity", json={"notation": notation, "input": {"channels": 3, "height": 4, "width": 4}}
    )
    assert out.status_code == 422
    body = out.json()
    assert (body["position"], body["end"]) == (position, end)
    assert f"at position {position} ({quoted})" in body["detail"]
    assert notation[position:end] == quoted.strip("'")


def test_the_leaderboard_scatter_has_legend_entries_and_labels() -> None:
    entries = [
        {"architecture_name": name, "team_name": "t", "own": True, "conv_macs": c, "top1_error_mean": e,
         "top1_error_std": 0.1, "seeds": 2, "protocol": "p", "rank": i + 1}
        for i, (name, c, e) in enumerate((("F-run", 5_700_000, 3.3), ("B-run", 5_650_000, 4.1)))
    ]  # fmt: skip
    figure = leaderboard_scatter(
        entries, cost_axis({"reference_conv_macs": 5_720_832, "tolerance": 0.05}), "t"
    )
    legend = [s["name"] for s in figure["layout"]["shapes"] if s.get("showlegend")]
    assert len(legend) == 2 and any("reference" in n for n in legend) and any("band" in n for n in legend)
    team = figure["data"][0]
    assert "text" in team["mode"] and list(team["text"]) == ["F-run", "B-run"]
    assert figure["layout"]["meta"]["narrow"]["xaxis"]["title"]["text"]


def test_training_curves_stack_their_panels_on_a_narrow_screen() -> None:
    metrics = [
        {"epoch": e, "train_loss": 1 / e, "val_loss": 1 / e, "top1_error": 9 / e, "top5_error": 2 / e}
        for e in (1, 2)
    ]
    figure = training_curves(metrics, "Job 1")
    narrow = figure["layout"]["meta"]["narrow"]
    top, bottom = narrow["yaxis"]["domain"], narrow["yaxis2"]["domain"]
    assert bottom[1] < top[0]  # one above the other, with a gap for the titles
    assert narrow["xaxis"]["domain"] == narrow["xaxis2"]["domain"] == [0, 1]
    titles = narrow["annotations"]
    assert [t["text"] for t in titles] == [a["text"] for a in figure["layout"]["annotations"]]
    assert [t["y"] for t in titles] == [top[1], bottom[1]]


def test_analyse_keeps_preset_costs() -> None:
    """preset_of is an identity lookup: every preset is found as itself."""
    from app.arch.presets import preset_of

    for name, preset in presets().items():
        assert preset_of(preset.spec) == name
    assert preset_of(analyse(presets()["A-s36"].spec).spec.model_copy(update={"name": "x"})) == "A-s36"
