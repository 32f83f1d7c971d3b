"""Errors that name what is wrong and where, so every caller (API, CLI, editor) can point at it."""

from __future__ import annotations

import re


class SpecError(ValueError):
    """An invalid spec, notation or request to the engine.

    `loc` is the path to the offending field, in pydantic's style (("layers", 3, "size")), so the
    API can report it beside pydantic's own validation errors.
    """

    def __init__(self, message: str, loc: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.loc = loc


class NotationError(SpecError):
    """A notation string that does not parse. `position` is the 0-based character offset, the one
    numbering of notation errors everywhere (message, API `position`, editor); `end` is where the
    quoted token (or layer) ends, exclusive, so callers can mark all of it (docs/design.md,
    "Errors")."""

    def __init__(self, message: str, position: int, text: str, end: int | None = None) -> None:
        if end is None or end <= position:
            found = _TOKEN.match(text, position) if position < len(text) else None
            end = found.end() if found else position
        where = (
            f"at position {position} ({quoted(text[position:end])})"
            if position < len(text)
            else f"at position {position} (the end)"
        )
        super().__init__(f"{where}: {message}", ("notation",))
        self.position = position
        self.end = end


def quoted(token: str, longest: int = 24) -> str:
    """`token` as repr() quotes it, cut to its first `longest` characters with its length said, so
    a message about a 4,301-digit number is not 8,000 characters long."""
    if len(token) <= longest:
        return repr(token)
    return f"{token[:longest]!r}... ({len(token):,} characters)"


# One whole token of the notation: a number, a word, or one other character (app.arch.tokens).
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[A-Za-z]+|\S")
