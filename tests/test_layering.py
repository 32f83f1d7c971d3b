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


def package_modules(package: str) -> list[str]:
    """Every module of `package`, found on disk, so a new module is checked without listing it."""
    return [
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in sorted((ROOT / package).rglob("*.py"))
    ]


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("app/arch", ["torch", "fastapi", "starlette", "sqlalchemy"]),
        ("app", ["torch"]),
        ("worker", ["fastapi", "starlette"]),
    ],
)
def test_layering(package: str, forbidden: list[str]) -> None:
    assert imported(package_modules(package), forbidden) == []
