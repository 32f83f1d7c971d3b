"""What a job asks of a worker's memory, checked at submission (README, "Limits"; docs/design.md,
"Bounded cost"): the model's parameters, and the activations training keeps for backward at the
job's batch size. A job over either would only fail on the worker, after waiting in the queue."""

from __future__ import annotations

from app.arch.analysis import analyse
from app.arch.spec import Spec
from app.exceptions import Invalid
from app.jobs.params import BenchmarkParams, TrainParams
from app.settings import Settings

# Bytes per activation. Training has no dtype parameter and is counted at float32, an upper
# bound: on CUDA it runs under bfloat16 autocast (worker/train.py).
DTYPE_BYTES = {"float32": 4, "bfloat16": 2}


def check(params: TrainParams | BenchmarkParams, spec: Spec, settings: Settings) -> None:
    """Raise Invalid naming `architecture_id` (the model itself is too big) or
    `params.batch_size` (a smaller batch would fit, and the message says which)."""
    analysis = analyse(spec)
    if analysis.params > settings.max_job_params:
        raise Invalid(
            f"the model has {analysis.params:,} parameters, over this server's limit of "
            f"{settings.max_job_params:,}",
            "architecture_id",
        )
    dtype = getattr(params, "dtype", "float32")
    per_image = analysis.activations * DTYPE_BYTES[dtype]
    cap = settings.max_job_activation_bytes
    if per_image > cap:
        raise Invalid(
            f"one image's activations take {per_image:,} bytes ({analysis.activations:,} x "
            f"{DTYPE_BYTES[dtype]} bytes, {dtype}), over this server's limit of {cap:,} bytes",
            "architecture_id",
        )
    needed = per_image * params.batch_size
    if needed > cap:
        raise Invalid(
            f"activations at batch {params.batch_size:,} take {needed:,} bytes ({analysis.activations:,} "
            f"per image x {params.batch_size:,} x {DTYPE_BYTES[dtype]} bytes, {dtype}), over this "
            f"server's limit of {cap:,} bytes; batch {cap // per_image:,} fits",
            "params.batch_size",
        )
