"""A job's kinds and states (docs/design.md, "Job lifecycle"): queued -> running -> succeeded |
failed | cancelled. Defined once; the database column, the API's OpenAPI enums, the CLI and the
dashboard (through `GET /api/v1/vocabulary`) all use these."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

JobKind = Literal["train", "benchmark", "calibrate"]


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


FINISHED: frozenset[JobStatus] = frozenset({JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled})
ACTIVE: frozenset[JobStatus] = frozenset({JobStatus.queued, JobStatus.running})
