"""The device a job runs on, its seeds, and the provenance recorded beside every result: the
device, library versions, threads and code revision a time or an error depends on."""

from __future__ import annotations

import platform
import random
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from app.jobs.params import TrainParams

if TYPE_CHECKING:
    from worker.datasets.splits import Datasets


def resolve_device(device: str) -> torch.device:
    """The torch device for "auto" (CUDA when available, else CPU), "cpu", "cuda" or "cuda:N".
    CUDA is only touched when asked for or auto-detected."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError as error:
        raise ValueError(f"device {device!r}: use 'auto', 'cpu', 'cuda' or 'cuda:N'") from error
    if resolved.type not in ("cpu", "cuda"):
        raise ValueError(f"device {device!r}: use 'auto', 'cpu', 'cuda' or 'cuda:N'")
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r}: CUDA is not available on this machine")
    return resolved


def is_out_of_memory(error: BaseException) -> bool:
    """CUDA's OutOfMemoryError, or the CPU allocator's failure."""
    if isinstance(error, torch.cuda.OutOfMemoryError):
        return True
    message = str(error).lower()
    return isinstance(error, RuntimeError) and (
        "out of memory" in message or "can't allocate memory" in message
    )


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # CUDA generators too (lazily: this does not initialise CUDA)


def device_name(device: torch.device) -> str:
    """What the job list shows as a job's device: the GPU's name, or the CPU's model name."""
    return torch.cuda.get_device_name(device) if device.type == "cuda" else _cpu_name()


def device_provenance(device: torch.device) -> dict[str, Any]:
    """Device, library versions and threads: what a timing or a result depends on."""
    cuda = device.type == "cuda"
    return {
        "device": device.type if not cuda else f"cuda:{device.index or 0}",
        "device_name": device_name(device),
        "driver": _nvidia_driver() if cuda else None,
        "torch": torch.__version__,
        "cuda": torch.version.cuda if cuda else None,
        "cudnn": torch.backends.cudnn.version() if cuda else None,
        "threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "code_revision": code_revision(),
    }


def provenance(device: torch.device, params: TrainParams, data: Datasets) -> dict[str, Any]:
    """A training result's provenance: the device's, plus precision, dataset and protocol."""
    return {
        **device_provenance(device),
        "dtype": "bfloat16 autocast" if device.type == "cuda" else "float32",
        "channels_last": device.type == "cuda",
        "dataset": {
            "name": data.name,
            "kind": data.kind,
            "path": data.path,
            "train_size": data.train_size,
            "val_size": data.val_size,
            "num_classes": data.num_classes,
            "description": data.description,
        },
        "protocol": params.protocol(),
        "seed": params.seed,
        "error_unit": "percent; top-5 is top-min(5, classes)",
    }


def _output(command: list[str], cwd: Path | None = None) -> str | None:
    """The stripped stdout of `command`, or None if it cannot run, fails or prints nothing."""
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def code_revision() -> str | None:
    """`git rev-parse HEAD` of the checkout this code runs from, or None outside a git checkout."""
    return _output(["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent)


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _nvidia_driver() -> str | None:
    out = _output(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"])
    return out.splitlines()[0] if out else None
