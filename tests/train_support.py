"""`worker.train.train` as a test or a benchmark calls it: on the CPU, with nothing to stop it and,
unless `on_epoch` is given, nobody following its epochs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.arch.spec import Spec
    from app.jobs.params import TrainParams
    from worker.progress import EpochMetrics
    from worker.train import TrainOutcome


def train_on_cpu(
    spec: Spec,
    params: TrainParams,
    data_root: Path,
    checkpoint: Path | None = None,
    on_epoch: Callable[[EpochMetrics], None] = lambda _: None,
) -> TrainOutcome:
    from worker.train import train  # torch: imported where a run trains, not where it is collected

    return train(
        spec,
        params,
        data_root,
        checkpoint=checkpoint,
        on_epoch=on_epoch,
        should_stop=lambda: False,
        device="cpu",
    )
