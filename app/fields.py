"""Field types shared by the API's request models and parameters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator, Field, StringConstraints

from app.arch.spec import Limits

# Row ids are 32-bit integers on PostgreSQL; a larger id in a path, query or body must be a 422
# naming the field, not a database overflow error (a 500).
MAX_ID = 2**31 - 1
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int, Query(ge=1, le=MAX_ID)]


def _printable(value: str) -> str:
    # PostgreSQL refuses NUL in text columns; other control characters only confuse listings.
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValueError("must not contain control characters")
    return value


Printable = AfterValidator(_printable)
Trimmed = StringConstraints(strip_whitespace=True, min_length=1)
Name = Annotated[str, Trimmed, Field(max_length=Limits.max_name_length), Printable]
