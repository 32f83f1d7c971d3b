"""A study read back once its jobs have results (written here as a worker would): statistics and
verdicts through the API against scipy, runs that did not learn left out, the figures, and the
CSV, JSON and self-contained HTML downloads."""

from __future__ import annotations

import csv
import io
import json
import statistics

import pytest
from scipy import stats as scipy_stats

from app.db import session_scope
from app.jobs.models import Job, Metric, Result

# top-1 error per model and seed: B clearly better than A; C, D, E within noise of their sources
ERRORS = {
    "A-s36": [9.0, 9.5, 8.7],
    "B-s36": [3.1, 2.8, 3.3],
    "C-s36": [2.0, 6.0, 4.1],
    "D-s36": [3.0, 5.5, 2.2],
    "E-s36": [4.0, 3.0, 90.0],  # seed 2 did not learn
}


def finish(settings, study: dict) -> None:
    """Every job succeeded with the error above, and three epochs of metrics."""
    with session_scope(settings.database_url) as session:
        for model in study["models"]:
            for run in model["runs"]:
                job = session.get(Job, run["job_id"])
                job.status, job.progress = "succeeded", 1.0
                error = ERRORS[model["name"]][run["seed"]]
                learned = error < 50
                session.add(Result(job_id=job.id, architecture_id=job.architecture_id, team_id=job.team_id,
                                   kind="train", protocol=job.protocol, dataset="digits", seed=run["seed"],
                                   conv_macs=model["conv_macs"], top1_error=error, train_seconds=10.0,
                                   provenance={}, learned=learned))  # fmt: skip
                for epoch in (1, 2, 3):
                    session.add(Metric(job_id=job.id, epoch=epoch, top1_error=error + 10 * (3 - epoch),
                                       elapsed_s=epoch * (9.0 + run["seed"])))  # fmt: skip


@pytest.fixture
def study(client, settings, team) -> dict:
    response = client.post("/api/v1/studies", headers=team.headers,
                           json={"name": "fig 1", "models": {"figure": 1}})  # fmt: skip
    assert response.status_code == 201, response.text
    finish(settings, response.json())
    return client.get(f"/api/v1/studies/{response.json()['id']}", headers=team.headers).json()


def test_statistics_and_verdicts_through_the_api(study) -> None:
    assert study["status"] == "succeeded" and study["progress"]["succeeded"] == 15
    models = {m["name"]: m for m in study["models"]}
    for name, values in ERRORS.items():
        learned = [v for v in values if v < 50]
        m = models[name]
        assert m["n"] == len(learned) and m["top1_error_mean"] == pytest.approx(statistics.fmean(learned))
        assert m["top1_error_std"] == pytest.approx(scipy_stats.tstd(learned))
        low, high = scipy_stats.t.interval(0.95, len(learned) - 1, loc=statistics.fmean(learned),
                                           scale=scipy_stats.sem(learned))  # fmt: skip
        assert m["top1_error_ci95"] == pytest.approx([low, high])
    assert models["E-s36"]["did_not_learn"] == 1 and models["E-s36"]["learned"] is True
    edges = {(c["source"], c["target"]): c for c in study["comparisons"]}
    for (source, target), c in edges.items():
        a = [v for v in ERRORS[source] if v < 50]
        b = [v for v in ERRORS[target] if v < 50]
        assert c["p_value"] == pytest.approx(scipy_stats.ttest_ind(b, a, equal_var=False).pvalue)
    ab = edges[("A-s36", "B-s36")]
    assert ab["verdict"] == "better" and ab["difference"] < 0 and ab["claim"]["supported"] is True
    assert edges[("B-s36", "D-s36")]["verdict"] == "within noise"
    assert edges[("B-s36", "D-s36")]["claim"]["supported"] is False


def test_figures(client, team, study) -> None:
    response = client.get(f"/api/v1/studies/{study['id']}/figures", headers=team.headers)
    assert response.status_code == 200, response.text
    results, curves = response.json()["results"], response.json()["curves"]
    titles = [a["text"] for a in results["layout"]["annotations"]]
    assert titles[0].startswith("Fig. 1")
    points = [t for t in results["data"] if t["mode"] == "markers+text"]
    (fig1,) = points
    by_name = dict(zip(fig1["text"], fig1["y"], strict=True))
    assert by_name["B-s36"] == pytest.approx(statistics.fmean(ERRORS["B-s36"]))
    assert len(fig1["error_y"]["array"]) == 5
    edges = [t for t in results["data"] if t["mode"] == "lines"]
    assert len(edges) == len(study["comparisons"])
    assert {t["line"]["color"] for t in edges} >= {"#009E73", "#6b7280"}  # better, within noise
    means = [t for t in curves["data"] if t.get("mode") == "lines+markers"]
    assert [t["name"] for t in means] == ["A-s36", "B-s36", "C-s36", "D-s36", "E-s36"]
    a = means[0]
    assert a["x"] == [1, 2, 3] and a["y"][-1] == pytest.approx(statistics.fmean(ERRORS["A-s36"]))
    assert sum(1 for t in curves["data"] if t.get("fill") == "toself") == 5  # one band per model


def test_downloads(client, team, study) -> None:
    base = f"/api/v1/studies/{study['id']}"
    response = client.get(f"{base}/report.csv", headers=team.headers)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 15 and {r["model"] for r in rows} == set(ERRORS)
    assert {float(r["top1_error"]) for r in rows if r["model"] == "A-s36"} == set(ERRORS["A-s36"])

    response = client.get(f"{base}/report.json", headers=team.headers)
    assert response.status_code == 200 and json.loads(response.text) == study

    response = client.get(f"{base}/report.html", headers=team.headers)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "cdn" not in page.lower().split("<body>")[1] and "https://" not in page.split("<body>")[1]
    assert "Plotly.newPlot" in page and len(page) > 1_000_000  # plotly.js inlined: it opens offline
    assert "B-s36" in page and "within noise" in page


def test_user_strings_are_escaped_in_the_report(client, settings, team) -> None:
    evil = "</script><script>alert(1)</script>"
    response = client.post("/api/v1/studies", headers=team.headers, json={
        "name": evil, "models": [{"name": evil, "preset": "A-s36"}], "seeds": [0]})  # fmt: skip
    assert response.status_code == 201, response.text
    page = client.get(f"/api/v1/studies/{response.json()['id']}/report.html", headers=team.headers).text
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_an_equal_time_study_plots_error_against_training_time(client, settings, team) -> None:
    response = client.post("/api/v1/studies", headers=team.headers, json={
        "name": "equal time", "models": {"figure": 1}, "protocol": {"time_budget_s": 30.0}})  # fmt: skip
    assert response.status_code == 201, response.text
    assert "30 s" in response.json()["protocol_text"]
    finish(settings, response.json())
    curves = client.get(f"/api/v1/studies/{response.json()['id']}/figures", headers=team.headers).json()[
        "curves"
    ]
    assert curves["layout"]["xaxis"]["title"]["text"] == "training time (s)"
    a = next(t for t in curves["data"] if t.get("mode") == "lines+markers")
    assert a["x"] == pytest.approx(
        [10.0, 20.0, 30.0]
    )  # the seeds' mean time at each epoch (9, 10, 11 s per epoch)


def test_runs_compared(client, team, other_team, study) -> None:
    a = next(m for m in study["models"] if m["name"] == "A-s36")
    ids = [r["job_id"] for r in a["runs"]]
    response = client.get("/api/v1/figures/compare", params={"job_ids": ids}, headers=team.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [j["id"] for j in body["jobs"]] == sorted(ids) and {j["seed"] for j in body["jobs"]} == {0, 1, 2}
    (mean,) = [t for t in body["figure"]["data"] if t.get("mode") == "lines+markers"]
    assert mean["name"] == "A-s36" and mean["y"][-1] == pytest.approx(statistics.fmean(ERRORS["A-s36"]))
    assert sum(1 for t in body["figure"]["data"] if t.get("fill") == "toself") == 1
    every = client.get("/api/v1/figures/compare", params={"architecture_id": a["architecture_id"]},
                       headers=team.headers).json()  # fmt: skip
    assert [j["id"] for j in every["jobs"]] == sorted(ids)
    for params, field in (({}, "job_ids"), ({"job_ids": list(range(1, 52))}, "job_ids"),
                          ({"job_ids": [ids[0], 2**31 - 1]}, "job_ids[1]")):  # fmt: skip
        response = client.get("/api/v1/figures/compare", params=params, headers=team.headers)
        assert response.status_code == 422 and response.json()["field"] == field, response.text
    hidden = client.get("/api/v1/figures/compare", params={"job_ids": ids}, headers=other_team.headers)
    assert hidden.status_code == 422 and hidden.json()["field"] == "job_ids[0]"
