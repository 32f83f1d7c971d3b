"""Time in the dashboard, in chromium (Playwright against a real uvicorn; tests/conftest.py's
fixtures): the editor's device selector shows predicted time beside C and flags the layers where
they part; a benchmark's page shows its spread, the noisy flag, the training step and the
predicted times; a calibration's page shows its profile."""

from __future__ import annotations

import uuid

import pytest

from app.db import session_scope
from app.jobs.models import Job, Result
from app.jobs.results import BenchmarkDetails, HostLoad, LayerTiming, Timing
from app.profiles.service import store
from tests.browser_support import S36, team_id, type_at_s36
from tests.jobs_support import add_architecture
from tests.test_timing_profiles import profile_data

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# conv1 and conv3 take under half their share of C in the synthetic model, conv2 more
NOTATION = "(3,16) + (5,16) + (3,16) + gap + fc 10"


def ms(x: float) -> str:
    """frontend/js/format.js's ms()."""
    return f"{x:.0f} ms" if x >= 100 else f"{x:.2f} ms" if x >= 1 else f"{x:.3f} ms"


def test_the_editor_shows_predicted_time_on_a_chosen_device(server, browser_page) -> None:
    name = f"browser-cpu-{uuid.uuid4().hex[:6]}"
    with session_scope(server.settings.database_url) as session:
        profile_id = store(session, profile_data(name)).id
    page, console = browser_page()
    type_at_s36(page, server, NOTATION)
    assert page.locator("#analysis-table td.predicted").first.inner_text() == "—"  # no device yet
    page.locator(f"#device-profile option[value='{profile_id}']").wait_for(state="attached")
    page.select_option("#device-profile", str(profile_id))
    expected = server.post("/complexity", {"notation": NOTATION, "input": S36, "device_profile": profile_id})
    page.locator("#predicted-ms", has_text=ms(expected["predicted_ms"])).wait_for()
    rows = page.locator("#analysis-table tbody tr")
    assert rows.count() == len(expected["layers"])
    for i, layer in enumerate(expected["layers"]):
        assert rows.nth(i).locator("td.predicted").inner_text() == ms(layer["predicted_ms"])
        assert (
            rows.nth(i).locator("td.time-share").inner_text().startswith(f"{layer['time_share'] * 100:.1f} %")
        )
    flagged = [
        rows.nth(i).get_attribute("data-name") for i in range(rows.count()) if "⚑" in rows.nth(i).inner_text()
    ]
    assert flagged == ["conv1", "conv3"]
    parted = page.locator("#parted").inner_text()
    assert "conv1" in parted and "conv3" in parted and "conv2" not in parted
    # the choice is kept across a reload and sent with every analysis
    page.reload()
    page.locator("#predicted-ms", has_text=ms(expected["predicted_ms"])).wait_for()
    page.select_option("#device-profile", "")
    page.locator("#predicted-ms").wait_for(state="detached")
    assert console.errors() == []


def timing(median: float, batch: int = 1, **spread) -> Timing:
    return Timing(batch=batch, median_s=median, p10_s=median * 0.9, p90_s=median * 1.2, runs=64, calls_per_run=2,
                  images_per_s=batch / median, images_per_s_p10=batch / (median * 1.2),
                  images_per_s_p90=batch / (median * 0.9), cv=0.14, median_low_s=median * 0.97,
                  median_high_s=median * 1.03, half_width=0.03, converged=True, **spread)  # fmt: skip


def layer(name: str, kind: str, median: float, share: float | None, flagged: bool = False) -> LayerTiming:
    return LayerTiming(name=name, kind=kind, median_s=median, p10_s=median * 0.8, p90_s=median * 1.1,
                       time_share=0.3, macs=1000, theoretical_share=share, conv_time_share=share,
                       share_ratio=1.0 if share else None, macs_per_s=None, flagged=flagged, cv=0.05)  # fmt: skip


def test_a_benchmark_page_shows_spread_noise_and_prediction(server, browser_page) -> None:
    device = f"Browser CPU {uuid.uuid4().hex[:6]}"
    team = team_id(server)
    with session_scope(server.settings.database_url) as session:
        store(session, profile_data(f"p-{uuid.uuid4().hex[:6]}", device=device))
    architecture = add_architecture(server.settings.database_url, team, "A-s36")
    details = BenchmarkDetails(
        latency=timing(0.004), throughput=timing(0.05, batch=16), train_step=timing(0.2, batch=16),
        layers=[layer("conv1", "conv", 0.002, 0.4), layer("pool1", "maxpool", 0.001, None)], layers_batch_used=16,
        load=HostLoad(cpus=2, wall_s=12.0, load_average_start=3.5, load_average_end=4.25, own_cpu_s=11.0,
                      other_cpu_s=9.6, other_cpu_fraction=0.4),
        noisy=True, noisy_reasons=["other processes used 40% of the host's 2 CPUs (over 25%)"],
    )  # fmt: skip
    with session_scope(server.settings.database_url) as session:
        job = Job(team_id=team, architecture_id=architecture, kind="benchmark", queue="cpu", params={},
                  protocol="benchmark, batch 1 and 16, float32", status="succeeded", device=device)  # fmt: skip
        session.add(job)
        session.flush()
        session.add(Result(job_id=job.id, architecture_id=architecture, team_id=team, kind="benchmark",
                           protocol=job.protocol, dataset="synthetic", conv_macs=1, latency_ms=4.0,
                           throughput=320.0, device=device, provenance={"dtype": "float32", "channels_last": False},
                           details=details.model_dump(mode="json")))  # fmt: skip
        job_id = job.id
    page, console = browser_page(signed_in=True)
    page.goto(f"{server.url}/#/jobs/{job_id}")
    latency = page.locator("#job-latency")
    latency.wait_for()
    assert (
        latency.inner_text()
        == "4.00 ms at batch 1 (p10 3.60 ms – p90 4.80 ms, CV 14.0 %, median ±3.0 % at 95 % over 64 runs)"
    )
    assert (
        page.locator("#job-train-step").inner_text().startswith("200 ms at batch 16 (p10 180 ms – p90 240 ms")
    )
    assert "320 images/s at batch 16" in page.locator("#job-throughput").inner_text()
    load = page.locator("#job-load").inner_text()
    assert "load average 3.50 → 4.25 on 2 CPUs" in load and "other processes used 40 %" in load
    assert (
        "noisy" in page.locator("#job-noisy").inner_text()
        and "over 25%" in page.locator("#job-noisy").inner_text()
    )
    table = page.locator("#benchmark-table")
    table.wait_for()
    assert table.locator("tr[data-name='conv1'] td.spread").inner_text() == "1.60 ms – 2.20 ms"
    predicted = page.locator("#benchmark-predicted")
    predicted.wait_for()
    assert "measured 4.00 ms, predicted" in predicted.inner_text()
    assert table.locator("tr[data-name='conv1'] td.predicted").inner_text().endswith("ms")
    assert console.errors() == []


def test_a_calibration_page_shows_its_profile(server, browser_page) -> None:
    team = team_id(server)
    with session_scope(server.settings.database_url) as session:
        job = Job(team_id=team, architecture_id=None, kind="calibrate", queue="cpu", params={"grid": "tiny"},
                  protocol="calibration, tiny grid, batch 1, float32", status="succeeded", device="Test CPU")  # fmt: skip
        session.add(job)
        session.flush()
        job_id = job.id
        data = profile_data(f"cal-{uuid.uuid4().hex[:6]}")
        rounds = {"round_times": [1.0, 0.99, 1.15, 1.0, 1.01], "noisy": True}  # a slow third round
        data = data.model_copy(update={"fit": data.fit.model_copy(update=rounds)})
        row = store(session, data)
        row.job_id = job_id  # as the worker stores it (app.profiles.service.complete_calibration)
    page, console = browser_page(signed_in=True)
    page.goto(f"{server.url}/#/jobs/{job_id}")
    page.locator("#calibration-profile").wait_for()
    assert f"Device profile #{row.id}: {data.name}" in page.locator("#calibration-profile h2").inner_text()
    assert page.locator("#calibration-fit").inner_text().startswith("80.0 % within ±10 %")
    steadiness = page.locator("#calibration-rounds").inner_text()
    assert steadiness.startswith("5 rounds, −1.0 % to +15.0 % from their median time noisy")
    assert "calibrate again on a quieter host" in steadiness
    assert page.get_by_text("Conv cost").count() == 0  # a calibration has no architecture
    page.goto(f"{server.url}/#/jobs")
    page.locator(f"#jobs-table tr[data-id='{job_id}']", has_text="the worker's device").wait_for()
    assert console.errors() == []
