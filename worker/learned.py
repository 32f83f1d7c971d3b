"""Did a training run learn? A run that ends with its loss still near ln(classes) (what a
classifier that predicts uniformly scores) or with top-1 error at chance is a failure of the
optimisation, not a measurement of the architecture: its result is marked and kept off the
leaderboard and out of a study's statistics (docs/design.md, "Training protocol")."""

from __future__ import annotations

import math

from worker.progress import EpochMetrics

# The last epoch's training loss at or above this fraction of ln(classes) is "still at chance":
# within 1% of what uniform predictions score (or above it). Not lower: a short run that has only
# begun to learn (A-s36 after 2 epochs: loss 0.987 x ln 10, 66% error) is slow, not stalled, and
# its error says so; a net that learned ends far below (0.02-0.2 x ln 10 under the default).
LOSS_FRACTION = 0.99
# top-1 accuracy within this many binomial standard errors of 1/classes is "at chance"
CHANCE_SIGMAS = 2.0


def did_not_learn(last: EpochMetrics, num_classes: int, val_images: int) -> str | None:
    """Why the run that ended with `last` did not learn, or None if it did.

    Judged on the last epoch, which ends after the warm-up by construction (the warm-up is at
    most half the schedule), so a run that stalled at any point after it is caught."""
    chance_loss = math.log(num_classes)
    if num_classes > 1 and last.train_loss >= LOSS_FRACTION * chance_loss:
        return (
            f"did not learn: the training loss {last.train_loss:.3f} is still at ln({num_classes}) = "
            f"{chance_loss:.3f} after the warm-up"
        )
    chance = 1.0 / num_classes
    if val_images > 0:
        margin = CHANCE_SIGMAS * math.sqrt(chance * (1.0 - chance) / val_images)
        accuracy = 1.0 - last.top1_error / 100.0
        if accuracy <= chance + margin:
            return (
                f"did not learn: top-1 error {last.top1_error:.1f}% is at chance "
                f"({100 * (1 - chance):.1f}% for {num_classes} classes, within "
                f"{CHANCE_SIGMAS:g} standard errors over {val_images} validation images)"
            )
    return None
