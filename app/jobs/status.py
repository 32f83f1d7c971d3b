"""A job's states (docs/design.md, "Job lifecycle"): queued -> running -> succeeded | failed |
cancelled. Defined once; the database column, the API's OpenAPI enum, the CLI and the dashboard
(through `GET /api/v1/vocabulary`) all use this."""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


FINISHED: frozenset[JobStatus] = frozenset({JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled})
ACTIVE: frozenset[JobStatus] = frozenset({JobStatus.queued, JobStatus.running})
