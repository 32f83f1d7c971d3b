"""The architecture's rules, checked on what a fresh interpreter actually imports (transitively):
app/arch is pure, app/ never imports torch, worker/ never imports FastAPI."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.stack import ROOT


def imported(modules: list[str], watched: list[str]) -> list[str]:
    code = f"import sys\nimport {', '.join(modules)}\nprint(' '.join(m for m in {watched!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return done.stdout.split()


@pytest.mark.parametrize(
    ("modules", "forbidden"),
    [
        (["app.arch.analysis", "app.arch.presets", "app.arch.relations", "app.arch.replace", "app.arch.source"],
         ["torch", "fastapi", "starlette", "sqlalchemy"]),
        (["app.main", "app.cli", "app.serve", "app.submit"], ["torch"]),
        (["worker.tasks", "worker.runner", "worker.train", "worker.benchmark", "worker.datasets"], ["fastapi", "starlette"]),
    ],
)  # fmt: skip
def test_layering(modules: list[str], forbidden: list[str]) -> None:
    assert imported(modules, forbidden) == []
