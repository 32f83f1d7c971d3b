"""Errors that name what is wrong and where, so every caller (API, CLI, editor) can point at it."""

from __future__ import annotations


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
    """A notation string that does not parse; `position` is the 0-based character offset."""

    def __init__(self, message: str, position: int, text: str) -> None:
        where = (
            f"at position {position} (near {text[position : position + 12]!r})"
            if position < len(text)
            else f"at position {position} (the end)"
        )
        super().__init__(f"{where}: {message}", ("notation",))
        self.position = position
