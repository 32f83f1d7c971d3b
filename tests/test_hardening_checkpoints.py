"""Storage faults and dying workers (issue "Hardening", item 19): a checkpoint that cannot be written
re-queues the job, one that cannot be read back is discarded and the run starts afresh, finished
jobs leave no checkpoint files, and a job whose process keeps dying fails naming the cause.
The runner runs in-process on real databases and real training; the dying worker is a real
Celery worker whose pool process the test kills."""

from __future__ import annotations

import errno
import os
import signal
import threading
from pathlib import Path

import pytest
import torch
from sqlalchemy import select

import worker.checkpoints
from app.db import session_scope
from app.jobs import lifecycle
from app.jobs.models import Job, Metric, Result
from app.jobs.params import TrainParams
from app.settings import Settings
from tests.conftest import make_team
from tests.jobs_support import add_architecture
from tests.stack import Api, e2e_settings, start_stack, wait_for
from worker import checkpoint_files
from worker.errors import CheckpointCorrupt
from worker.progress import RunState
from worker.runner import run

QUICK = {"dataset": {"kind": "digits"}, "max_train_images": 32, "batch_size": 16, "val_fraction": 0.05}


@pytest.fixture
def local(tmp_path) -> Settings:
    return e2e_settings(tmp_path, "embedded")


def new_job(settings: Settings, status: str = "queued", **params) -> int:
    team = make_team(settings)
    arch = add_architecture(settings.database_url, team.id)
    train = TrainParams.model_validate({**QUICK, **params})
    with session_scope(settings.database_url) as session:
        job = Job(team_id=team.id, architecture_id=arch, kind="train", queue="cpu", status=status,
                  params=train.model_dump(mode="json"), protocol=train.protocol())  # fmt: skip
        session.add(job)
        session.flush()
        return job.id


def state(settings: Settings, job_id: int) -> tuple[Job, list[int], Result | None]:
    with session_scope(settings.database_url) as session:
        job = session.get_one(Job, job_id)
        epochs = list(
            session.scalars(select(Metric.epoch).where(Metric.job_id == job_id).order_by(Metric.epoch))
        )
        result = session.scalar(select(Result).where(Result.job_id == job_id))
        session.expunge_all()
    return job, epochs, result


def test_failed_checkpoint_write_requeues_and_keeps_the_epochs(local, monkeypatch) -> None:
    job_id = new_job(local, epochs=3)
    real_fsync, calls = os.fsync, []

    def fsync(fd: int) -> None:  # the disk fills up while epoch 2's checkpoint is written
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(worker.checkpoints.os, "fsync", fsync)
    outcome = run(local, job_id, "w1")
    assert outcome.startswith("re-queued") and "No space left on device" in outcome
    job, epochs, _ = state(local, job_id)
    assert (job.status, job.enqueued_at, job.worker, job.attempts) == ("queued", None, None, 1)
    assert job.error.startswith("re-queued: could not write checkpoint") and "No space" in job.error
    assert epochs == [1, 2]
    checkpoint = checkpoint_files.path_for(local.checkpoint_dir, job_id)
    assert torch.load(checkpoint, weights_only=True)["epoch"] == 1  # the last good one
    assert checkpoint_files.temporaries(checkpoint) == []

    monkeypatch.undo()
    assert run(local, job_id, "w2") == "succeeded"
    job, epochs, result = state(local, job_id)
    assert (job.status, job.attempts, epochs) == ("succeeded", 2, [1, 2, 3])
    assert result is not None and result.provenance["resumed_from_epoch"] == 1
    assert not checkpoint.exists()


def test_corrupt_checkpoint_starts_the_run_afresh_and_says_so(local, monkeypatch) -> None:
    job_id = new_job(local, epochs=2)
    checkpoint = checkpoint_files.path_for(local.checkpoint_dir, job_id)
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    checkpoint.write_bytes(b"PK\x03\x04" + os.urandom(512))  # torn: a zip header and no more
    notes: list[str] = []
    real_note = getattr(lifecycle, "note", None)

    def note(session, job_id: int, worker: str, text: str) -> bool:  # a spy on the job's note
        notes.append(text)
        return real_note(session, job_id, worker, text)

    monkeypatch.setattr(lifecycle, "note", note, raising=False)
    assert run(local, job_id, "w1") == "succeeded"
    job, epochs, result = state(local, job_id)
    assert (job.status, job.attempts, epochs) == ("succeeded", 1, [1, 2])
    assert result is not None and result.provenance["resumed_from_epoch"] == 0
    discarded = result.provenance["checkpoint_discarded"]
    assert f"checkpoint job-{job_id}.pt is unreadable" in discarded and "started afresh" in discarded
    assert notes == [discarded]  # shown in the job's `error` field while it ran


@pytest.mark.parametrize("content", ["torn", "empty", "foreign"])
def test_unreadable_checkpoints_are_corrupt_not_mismatched(tmp_path, content) -> None:
    path = tmp_path / "job-1.pt"
    if content == "foreign":
        torch.save({"weights": torch.zeros(3)}, path)
    else:
        path.write_bytes(b"PK\x03\x04" + os.urandom(64) if content == "torn" else b"")
    model = torch.nn.Linear(2, 2)
    with pytest.raises(CheckpointCorrupt, match=r"job-1\.pt is unreadable"):
        worker.checkpoints.resume(path, "fp", model, torch.optim.SGD(model.parameters(), lr=0.1), RunState())


def test_no_checkpoint_outlives_its_job(local) -> None:
    """A worker's run removes the files of failed, cancelled and unknown jobs and interrupted
    temporary files, and a job that fails drops its own checkpoint; active jobs keep theirs."""
    directory = local.checkpoint_dir
    directory.mkdir(parents=True, exist_ok=True)
    jobs = {
        status: new_job(local, status=status, epochs=1)
        for status in ("failed", "cancelled", "queued", "running")
    }
    failing = new_job(local, epochs=1, dataset={"kind": "cifar10", "path": "no/such/dir"})
    files: dict[str, list[Path]] = {}
    for name, job_id in [*jobs.items(), ("unknown", 10**6), ("failing", failing)]:
        checkpoint = checkpoint_files.path_for(directory, job_id)
        files[name] = [checkpoint, directory / f".{checkpoint.name}.abc123.tmp"]
        for path in files[name]:
            path.write_bytes(b"x")
    outcome = run(local, failing, "w1")
    assert outcome.startswith("failed") and "no/such/dir" in outcome
    for name, paths in files.items():
        kept = name in ("queued", "running")
        assert [path.exists() for path in paths] == [kept, kept], name


def test_cancelled_job_drops_its_checkpoint(local) -> None:
    job_id = new_job(local, epochs=50)
    checkpoint = checkpoint_files.path_for(local.checkpoint_dir, job_id)
    runner = threading.Thread(target=run, args=(local, job_id, "w1"))
    runner.start()
    try:
        wait_for(checkpoint.exists, 300, what="a first checkpoint")
    finally:
        with session_scope(local.database_url) as session:
            lifecycle.request_cancel(session, session.get_one(Job, job_id))
        runner.join(120)
    assert state(local, job_id)[0].status == "cancelled"
    assert list(checkpoint.parent.iterdir()) == []


def pool_processes(parent: int) -> list[int]:
    """The children of `parent` (a Celery worker's pool process), from /proc."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            children.append(int(stat.parent.name))
    return children


@pytest.mark.slow
def test_a_job_whose_process_keeps_dying_fails_naming_the_cause(stacks, tmp_path) -> None:
    """The pool process running the job is SIGKILLed (as the OOM killer would) on every attempt:
    the job ends failed, and its error says how its process died, not "last: None"."""
    # Celery reports a lost pool process after worker_lost_wait (10 s): the heartbeat timeout is
    # longer, as in production (60 s), so the worker, not the reconciler, sees each death first.
    settings = e2e_settings(tmp_path, "embedded", max_attempts=2).model_copy(
        update={"heartbeat_timeout_s": 30}
    )
    api: Api = start_stack(stacks, settings)
    (worker_process,) = [p for p in api.stack.processes if "worker" in p.args]
    (job,) = api.submit(api.architecture("A-s36"), "train", {**QUICK, "epochs": 50})
    for attempt in (1, 2):

        def running(attempt: int = attempt) -> bool:
            now = api.get(f"/jobs/{job['id']}")
            return now["status"] == "running" and now["attempts"] == attempt

        wait_for(running, 300, what=f"attempt {attempt} running")
        for pid in pool_processes(worker_process.pid):
            os.kill(pid, signal.SIGKILL)
    done = api.wait(job["id"], timeout_s=300)
    assert done["status"] == "failed" and done["attempts"] == 2
    assert "gave up after 2 attempts" in done["error"], done["error"]
    assert "died: signal 9 (SIGKILL)" in done["error"], done["error"]
