"""The one rule for strings a client sends and the service stores or echoes (docs/design.md,
"Input"): names, labels, dataset paths, filters.

Refused, by Unicode category: control characters (Cc: C0, DEL and C1, U+0000-U+001F,
U+007F-U+009F; PostgreSQL refuses NUL in text), invisible format characters (Cf: bidirectional
overrides and isolates U+202A-U+202E and U+2066-U+2069, U+200B, U+FEFF ...; they make two names
look alike or reorder what a listing shows), lone surrogates (Cs: not encodable in UTF-8, so no
database can store them) and the line and paragraph separators (Zl, Zp: line breaks, like the
control characters). Pure (the standard library and pydantic), so the engine's spec names, the
workers' job parameters and the API's fields (`app.fields`) share it.
"""

from __future__ import annotations

import unicodedata

from pydantic import AfterValidator

REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def refused_character(value: str) -> tuple[int, str] | None:
    """(position, character) of the first character the rule refuses, or None."""
    for position, character in enumerate(value):
        if unicodedata.category(character) in REFUSED_CATEGORIES:
            return position, character
    return None


def check_text(value: str) -> str:
    """`value` unchanged, or ValueError naming the first refused character and where it is."""
    found = refused_character(value)
    if found is not None:
        position, character = found
        raise ValueError(
            f"must not contain control characters or invisible format characters "
            f"(U+{ord(character):04X} at character {position})"
        )
    return value


Printable = AfterValidator(check_text)
"""Put it last in an `Annotated[str, ...]`, after trimming and length checks."""
