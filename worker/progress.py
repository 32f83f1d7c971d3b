"""A training run's progress: the metrics of each epoch, and the counters that the loop advances
and a checkpoint restores. Shared by `worker.train` and `worker.checkpoints`."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.jobs.params import TrainParams


@dataclass(frozen=True)
class EpochMetrics:
    epoch: int  # 1-based
    train_loss: float  # mean cross-entropy over the epoch's training images (with dropout on)
    val_loss: float  # mean cross-entropy on the validation set
    top1_error: float  # percent
    top5_error: float  # percent; top-k with k = min(5, classes)
    images_per_s: float  # training images / training seconds, this epoch
    lr: float  # learning rate of the epoch's last batch
    elapsed_s: float  # training seconds since the start of the run (resumed runs included)


@dataclass
class RunState:
    """What a checkpoint restores, besides the model and optimizer."""

    epoch: int = 0  # epochs completed
    elapsed_s: float = 0.0  # training seconds
    steps: int = 0  # batches done
    images: int = 0  # training images seen in completed epochs
    last_lr: float = 0.0
    history: list[EpochMetrics] = field(default_factory=list)

    def budget_spent(self, params: TrainParams) -> bool:
        """Past the time budget; a run always trains at least one batch."""
        return params.time_budget_s is not None and self.steps > 0 and self.elapsed_s >= params.time_budget_s

    def finished(self, params: TrainParams) -> bool:
        if params.epochs is not None:
            return self.epoch >= params.epochs
        return self.budget_spent(params)
