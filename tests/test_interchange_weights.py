"""Trained weights to take home: a training job run by the worker keeps its final weights, served
as a .pt that loads into the exported PyTorch source and as an ONNX file that onnxruntime runs to
the same outputs."""

from __future__ import annotations

import io
import types

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient

from app.arch.presets import presets
from app.db import session_scope
from app.interchange.onnx_import import import_onnx
from app.interchange.pytorch_source import pytorch_source
from app.jobs.models import Job
from app.main import create_app
from app.migrate import upgrade
from app.settings import Settings
from app.teams.auth import create_team
from tests.interchange_support import LIMITS, run_onnx
from tests.jobs_support import add_architecture


@pytest.fixture
def local(tmp_path) -> Settings:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'isocost.db'}",
        broker_url=f"sqla+sqlite:///{tmp_path / 'broker.db'}",
        data_root=tmp_path / "data",
        checkpoint_dir=tmp_path / "checkpoints",
        heartbeat_interval_s=60,
    )
    upgrade(settings.database_url)
    return settings


def test_a_succeeded_training_job_keeps_weights_that_load_and_run(local: Settings) -> None:
    from worker.runner import run

    with session_scope(local.database_url) as session:
        team, token = create_team(session, "weights")
        team_id = team.id
    architecture = add_architecture(local.database_url, team_id, "A-s36")
    params = {"epochs": 1, "max_train_images": 64, "batch_size": 32, "seed": 0}
    with session_scope(local.database_url) as session:
        job = Job(
            team_id=team_id,
            architecture_id=architecture,
            kind="train",
            queue="cpu",
            params=params,
            protocol="test",
        )
        session.add(job)
        session.flush()
        job_id = job.id
    assert run(local, job_id, "test-worker") == "succeeded"

    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(local), raise_server_exceptions=False) as client:
        pt = client.get(f"/api/v1/jobs/{job_id}/weights?format=pt", headers=headers)
        exported = client.get(f"/api/v1/jobs/{job_id}/weights?format=onnx", headers=headers)
    assert pt.status_code == 200 and exported.status_code == 200
    state = torch.load(io.BytesIO(pt.content), weights_only=True)
    assert list(state)[:2] == ["conv1.weight", "conv1.bias"] and state["fc3.weight"].shape == (10, 512)

    trained = presets()["A-s36"].spec.with_classes(10)  # digits has 10 classes
    module = types.ModuleType("exported")
    exec(compile(pytorch_source(trained), "exported.py", "exec"), module.__dict__)
    net = module.Net().eval()
    net.load_state_dict(state)  # strict: the names and shapes of the exported source
    x = torch.randn(4, 3, 36, 36)
    with torch.no_grad():
        expected = net(x).numpy()
    assert np.abs(run_onnx(exported.content, x.numpy()) - expected).max() < 1e-4
    assert import_onnx(exported.content, LIMITS).layers == trained.layers  # the ONNX is the trained spec
