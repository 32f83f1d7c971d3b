"""A job's error as its team may see it: no absolute paths of the server (docs/design.md, "Errors").

Workers write what went wrong, and a dataset's or a checkpoint's failure names files by their
absolute paths, which tell a client how the server is laid out. Errors leave the API with paths
under the data root made relative to it (a dataset is named that way in the first place), the
roots themselves named by their settings, and any other absolute path hidden.
"""

from __future__ import annotations

import re
from pathlib import Path

from app.settings import Settings

# An absolute path: "/" at the start of a word (after a space, a quote, "(" or "="), then
# anything up to a space, a quote or a closing bracket. Not "(3,64)/2", "train/" or "1/2".
_ABSOLUTE = re.compile(r"(?<![\w).\]/~-])/[^\s'\"`,;()\[\]<>]+")
OUTSIDE = "<a path outside the data root>"


def _forms(root: Path) -> list[str]:
    """The root as configured, absolute and resolved (symlinks followed): a message may use any."""
    forms = {str(root), str(root.absolute()), str(root.resolve())}
    return sorted((f.rstrip("/") for f in forms if f.startswith("/")), key=len, reverse=True)


def public_error(error: str | None, settings: Settings) -> str | None:
    """`error` with every absolute path rewritten: under the data root -> relative to it; the
    data root itself -> `$ISOCOST_DATA_ROOT`; under the checkpoint folder ->
    `$ISOCOST_CHECKPOINT_DIR/...`; anything else -> a placeholder."""
    if not error:
        return error
    roots = [(form, "$ISOCOST_DATA_ROOT", "") for form in _forms(Path(settings.data_root))]
    roots += [
        (form, "$ISOCOST_CHECKPOINT_DIR", "$ISOCOST_CHECKPOINT_DIR/")
        for form in _forms(Path(settings.checkpoint_dir))
    ]
    roots.sort(key=lambda root: len(root[0]), reverse=True)  # the most specific root first

    def rewrite(match: re.Match[str]) -> str:
        path = match.group(0)
        trail = path[len(path.rstrip(".")) :]  # a sentence's full stop is not part of the path
        path = path.rstrip(".")
        for root, itself, prefix in roots:
            if path == root or path == root + "/":
                return itself + trail
            if path.startswith(root + "/"):
                return prefix + path[len(root) + 1 :] + trail
        return OUTSIDE + trail

    return _ABSOLUTE.sub(rewrite, error)
