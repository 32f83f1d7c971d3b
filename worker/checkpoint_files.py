"""Where a job's checkpoint lives, the temporary files of its atomic writes, and removing both
(docs/design.md, "Checkpoints"). Torch-free: the runner cleans up without loading torch.

    <ISOCOST_CHECKPOINT_DIR>/job-<id>.pt              the last complete epoch
    <ISOCOST_CHECKPOINT_DIR>/.job-<id>.pt.<random>.tmp  a write in progress, or one interrupted
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from pathlib import Path

log = logging.getLogger(__name__)

_NAME = re.compile(r"^\.?job-(\d+)\.pt(?:\..+\.tmp)?$")


def path_for(directory: Path, job_id: int) -> Path:
    return Path(directory) / f"job-{job_id}.pt"


def temporary_affixes(path: Path) -> tuple[str, str]:
    """(prefix, suffix) for tempfile.mkstemp: a hidden file beside `path`, on the same filesystem
    so that os.replace is atomic."""
    return f".{path.name}.", ".tmp"


def temporaries(path: Path) -> list[Path]:
    prefix, suffix = temporary_affixes(path)
    return sorted(path.parent.glob(f"{glob_escape(prefix)}*{suffix}"))


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def _remove(paths: Iterable[Path]) -> list[Path]:
    removed = []
    for path in paths:
        try:
            path.unlink()
            removed.append(path)
        except FileNotFoundError:
            pass
        except OSError as error:  # cleanup must never fail a job; the next sweep tries again
            log.warning("could not remove %s: %s", path, error)
    return removed


def discard_temporaries(path: Path) -> list[Path]:
    """Remove the temporary files of interrupted writes of `path` (a killed worker leaves them)."""
    return _remove(temporaries(path))


def discard(path: Path) -> list[Path]:
    """Remove a checkpoint and its temporary files."""
    return _remove([path, *temporaries(path)])


def sweep(directory: Path, active: Callable[[set[int]], set[int]]) -> list[Path]:
    """Remove the checkpoints and temporary files that no job will resume: those of jobs no longer
    queued or running (failed, cancelled, or finished while their worker could not clean up, and
    ids this database does not know). `active(ids)` says which of `ids` are queued or running;
    their files stay (a temporary file of a running job may be a write in progress elsewhere)."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found: dict[int, list[Path]] = {}
    for entry in directory.iterdir():
        match = _NAME.match(entry.name)
        if match and entry.is_file():
            found.setdefault(int(match[1]), []).append(entry)
    if not found:
        return []
    keep = active(set(found))
    return _remove(path for job_id, paths in found.items() if job_id not in keep for path in paths)
