"""What can go wrong, in the domain's words (docs/design.md, "Errors").

Services raise these; they know nothing of HTTP. `app.errors` maps each class to a status code
and the JSON envelope, and the CLI prints the same errors as one line. Every error carries its
`message` and the `field` at fault (as the client wrote it: `name`, `params.epochs`; see
`field_name`), or None.
Pure: no web or database imports, so the CLI can catch them without loading either.
"""

from __future__ import annotations

from collections.abc import Sequence

# pydantic's tags of the layer union, which name no field the client wrote
_LAYER_TAGS = {"conv", "maxpool", "avgpool", "spp", "gap", "fc"}


class DomainError(Exception):
    """Base of the errors below; raise a subclass."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """Absent, or not visible to the caller: another team's private rows look absent."""


class Forbidden(DomainError):
    """Visible, but not the caller's to change (or not the admin)."""


class Conflict(DomainError):
    """Clashes with what is stored: a name taken, a row still in use, a job already finished."""


class Invalid(DomainError):
    """Well-formed input that the domain refuses: over a cap, or a reference the caller cannot see."""


class QuotaExceeded(DomainError):
    """Over a per-team quota; the same request may succeed later."""


class Unavailable(DomainError):
    """A component the request needs (database, broker) cannot be reached."""


class Unauthenticated(DomainError):
    """No credentials, or credentials that are not (or no longer) valid."""


def field_name(loc: Sequence[object]) -> str:
    """("body", "spec", "layers", 3, "conv", "size") -> "spec.layers[3].size". Union tags name no
    field either: the layer kinds after an index, and any tag written "<tag>" (a study's models:
    ("models", "<figure>", "figure") -> "models.figure")."""
    out = ""
    previous: object = None
    for part in loc:
        if part == "body" and not out:
            continue
        if isinstance(part, str) and part.startswith("<") and part.endswith(">"):
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        elif not (isinstance(previous, int) and part in _LAYER_TAGS):  # drop union tags
            out += f".{part}" if out else str(part)
        previous = part
    return out
