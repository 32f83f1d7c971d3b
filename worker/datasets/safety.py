"""What keeps a job's dataset from reaching outside the data root or running code in the worker:
path resolution inside the root, and an unpickler that builds numpy arrays only."""

from __future__ import annotations

import pickle
from pathlib import Path

from worker.errors import DatasetError


def resolve_inside(data_root: Path, relative: str) -> Path:
    """`data_root / relative`, resolved (symlinks followed); it must be an existing directory
    inside the resolved data root."""
    root = Path(data_root).resolve()
    if not root.is_dir():
        raise DatasetError(f"data root {data_root} does not exist or is not a directory")
    target = (root / relative).resolve()
    if not target.is_relative_to(root):
        raise DatasetError(
            f"dataset path {relative!r} resolves to {target}, outside the data root {root} "
            "(absolute paths, '..' and symlinks leading out are refused)"
        )
    if not target.exists():
        raise DatasetError(f"dataset path {relative!r} does not exist under the data root {root}")
    if not target.is_dir():
        raise DatasetError(f"dataset path {relative!r} is not a directory (under the data root {root})")
    return target


class ArrayUnpickler(pickle.Unpickler):
    """Unpickles plain containers and numpy arrays only: a file under the data root must not be
    able to run code in the worker."""

    allowed = frozenset(
        {
            ("numpy", "ndarray"),
            ("numpy", "dtype"),
            ("numpy.core.multiarray", "_reconstruct"),
            ("numpy._core.multiarray", "_reconstruct"),
            ("numpy.core.multiarray", "scalar"),
            ("numpy._core.multiarray", "scalar"),
            ("numpy.core.numeric", "_frombuffer"),
            ("numpy._core.numeric", "_frombuffer"),
        }
    )

    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in self.allowed:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} (only numpy arrays are allowed)")
        return super().find_class(module, name)
