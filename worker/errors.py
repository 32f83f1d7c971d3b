"""The worker's failures, each a distinct type so the runner can tell a job that must fail once
(with its reason, never retried) from one that was cancelled. Torch-free, so importing them
costs nothing."""

from __future__ import annotations


class Cancelled(Exception):
    """`should_stop()` returned True; raised before the batch it was polled for ran."""


class OutOfMemory(RuntimeError):
    """The device ran out of memory: deterministic for a given spec, batch and device, so the
    caller should fail the job rather than retry it."""


class Diverged(RuntimeError):
    """The training loss became NaN or infinite (learning rate too high for this model)."""


class CheckpointMismatch(ValueError):
    """The checkpoint belongs to another spec, protocol or seed."""


class CheckpointCorrupt(Exception):
    """The checkpoint cannot be read back (torn, truncated, not a checkpoint): the run starts
    afresh rather than failing on every attempt (docs/design.md, "Checkpoints")."""


class CheckpointWriteFailed(Exception):
    """The checkpoint could not be written (disk full, I/O error): the storage's fault, not the
    job's, so the job is re-queued and resumes from its last good checkpoint."""


class DatasetError(ValueError):
    """A dataset that cannot be used: bad or escaping path, missing files, wrong layout."""


class NothingTrained(ValueError):
    """The run took no training step (its time budget was spent before the first batch), so it
    has no result to record or rank."""
